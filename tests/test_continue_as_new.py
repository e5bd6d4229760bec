"""Long runs continue as new: past the spec's history limits the run stops starting
steps, lets the running ones finish and goes on in a fresh run under the same workflow
id, carrying its state. Every step runs once; outputs from before are still readable; a
person's decision is not lost; a worker killed around the hand-over repeats no completed
call; `podium status` and the result follow the chain."""

from __future__ import annotations

import asyncio
import io
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from podium.activities.payloads.converter import data_converter
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import stats, status
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunState
from temporalio.client import Client, WorkflowHandle

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.polling import eventually
from tests.support.worker_process import start_worker, wait_for

pytestmark = pytest.mark.usefixtures("worker")
AGENTS = {"agents": {"step": {"model": "function:tests.support.agents:record_step"}}}


def chain(log: Path, n: int, seconds: float = 0.0, **extra) -> dict:
    """``n`` steps in a row, each logging its start and end; the last reads the first."""
    steps = [
        {
            "id": f"s{i}",
            "agent": "step",
            "with": {"log": f"'{log}'", "step": f"'s{i}'", "seconds": seconds},
        }
        for i in range(n)
    ]
    steps[-1]["with"]["first"] = "steps.s0.output"
    return {
        "name": "long_chain",
        "agents": AGENTS,
        "history": {"max_events": 500},
        "steps": steps,
        "output": {"last": f"steps.s{n - 1}.output.step", "first": "steps.s0.output.step"},
        **extra,
    }


def finished_at(log: Path, step: str) -> list[float]:
    """When ``step`` logged its end (each time it did)."""
    return [
        float(line.split()[2])
        for line in log.read_text().splitlines()
        if line.startswith("done ") and line.split()[1] == step
    ]


def finished(log: Path) -> Counter[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(line.split()[1] for line in lines if line.startswith("done"))


async def runs_in_chain(client: Client, workflow_id: str) -> list[int]:
    """Events in each run of the workflow id's chain, oldest first."""
    sizes = []
    async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        history = await client.get_workflow_handle(
            workflow_id, run_id=execution.run_id
        ).fetch_history()
        sizes.append((execution.start_time, len(history.events)))
    return [events for _, events in sorted(sizes)]


async def test_a_long_run_continues_as_new_and_every_step_runs_once(client, write_spec, tmp_path):
    log = tmp_path / "steps.log"
    plan = compile_spec(write_spec({**chain(log, 120), "name": "chain_counted_once"}))
    assert plan.history.max_events == 500
    handle = await start_run(client, plan, {})
    result = await handle.result()  # follows the chain to its last run
    assert result.output == {"last": "s119", "first": "s0"}
    assert result.state.continued >= 1
    assert sum(s.status == "completed" for s in result.state.steps) == 120
    assert set(finished(log).values()) == {1} and len(finished(log)) == 120
    assert any("continued as new" in flag for flag in result.state.flags)
    sizes = await runs_in_chain(client, handle.id)
    assert len(sizes) == result.state.continued + 1 and max(sizes) < 650, sizes
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0  # the chain's last run
    assert "completed" in out.getvalue().splitlines()[0]
    figures = await stats.gather(client, "chain_counted_once")  # one run, not one per link
    assert (figures.runs, figures.completed, figures.running) == (1, 1, 0)
    began = result.state.started_at
    assert figures.duration_p50_ms is not None and began is not None
    assert figures.duration_p50_ms >= (result.state.finished_at - began).total_seconds() * 900


async def test_a_decision_sent_around_the_hand_over_is_not_lost(client, write_spec, tmp_path):
    log = tmp_path / "steps.log"
    spec = chain(log, 100)
    spec["steps"].insert(
        0, {"id": "signoff", "approval": {"title": "Go?", "approvers": ["deal-desk"]}, "needs": []}
    )
    spec["steps"][1]["needs"] = []
    spec["steps"][-1]["needs"] = ["s98", "signoff"]
    handle = await start_run(client, compile_spec(write_spec(spec)), {})
    # the chain runs into the history limit while the approval is still open: the run
    # stops starting steps and waits for the person before it hands over
    await wait_until_stalled(handle)
    record = await send_decision(
        handle, DecisionInput(request_id="signoff-1", outcome="approve", by="deal-desk")
    )
    assert record.outcome == "approve"
    result = await handle.result()
    assert result.state.continued >= 1
    [request] = result.state.requests
    assert (request.status, request.decision.outcome, request.decision.by) == (
        "decided",
        "approve",
        "deal-desk",
    )
    assert set(finished(log).values()) == {1} and len(finished(log)) == 100


async def wait_until_stalled(handle: WorkflowHandle) -> RunState:
    seen, same = -1, 0

    async def stalled() -> RunState | None:  # no step finished over ten polls in a row
        nonlocal seen, same
        state = await handle.query("status", result_type=RunState)
        done = sum(s.status == "completed" for s in state.steps)
        same = same + 1 if done == seen else 0
        seen = done
        return state if same >= 10 and state.open_requests() else None

    return await eventually(stalled, "the chain to stall with the approval open", timeout=180)


async def test_a_worker_killed_around_the_hand_over_repeats_no_completed_call(
    address, write_spec, tmp_path
):
    log, worker_log = tmp_path / "steps.log", tmp_path / "worker.log"
    client = await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter()
    )
    worker = start_worker(address, worker_log, ISOLATED_NAMESPACE)
    handle = await start_run(client, compile_spec(write_spec(chain(log, 120, seconds=0.02))), {})
    kills: list[float] = []
    try:
        for at in (40, 75, 110):  # around each hand-over (about every 60 steps)
            await wait_for(lambda at=at: len(finished(log)) >= at, 60, f"{at} steps")
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills.append(time.time())
            worker = start_worker(address, worker_log, ISOLATED_NAMESPACE)
        result = await asyncio.wait_for(handle.result(), 120)
    finally:
        worker.kill()
    assert len(kills) == 3 and result.state.continued >= 1
    assert len(finished(log)) == 120
    # a step may run twice only if the kill cut it off after its work but before the
    # worker reported it (it was still in flight at the kill): never a completed one
    for step, count in finished(log).items():
        if count > 1:
            first_done = min(finished_at(log, step))
            assert any(0 <= kill - first_done < 1.0 for kill in kills), (step, kills)


async def test_a_worker_killed_mid_supervision_repeats_no_completed_turn(
    address, write_spec, tmp_path
):
    from tests.workflows.test_supervise import long_supervision

    log, worker_log = tmp_path / "turns.log", tmp_path / "worker.log"
    client = await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter()
    )
    worker = start_worker(address, worker_log, ISOLATED_NAMESPACE)
    plan = compile_spec(write_spec(long_supervision(log, 120, seconds=0.02)))
    handle = await start_run(client, plan, {"log": str(log)})
    kills: list[float] = []
    try:
        for at in (30, 65, 100):  # mid-supervision, some near a hand-over (every ~40 turns)
            await wait_for(lambda at=at: len(finished(log)) >= at, 60, f"{at} turns")
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills.append(time.time())
            worker = start_worker(address, worker_log, ISOLATED_NAMESPACE)
        result = await asyncio.wait_for(handle.result(), 120)
    finally:
        worker.kill()
    assert result.state.continued >= 2
    turns = result.state.step("team").supervision
    assert [t.turn for t in turns] == list(range(1, 122))  # no decision made twice
    assert len(finished(log)) == 120
    for step, count in finished(log).items():  # only a turn the kill cut off may repeat
        if count > 1:
            first_done = min(finished_at(log, step))
            assert any(0 <= kill - first_done < 1.0 for kill in kills), (step, kills)
