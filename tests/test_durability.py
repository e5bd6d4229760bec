"""kill -9 a worker in the middle of a run: a new worker finishes it, nothing is paid twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import stop_process
from podium.starters.launch import start_run

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.polling import eventually
from tests.support.worker_process import start_worker as start_process
from tests.support.worker_process import wait_for

STEPS = [f"s{i}" for i in range(1, 7)]


def start_worker(address: str, log: Path) -> subprocess.Popen[bytes]:
    return start_process(address, log, ISOLATED_NAMESPACE)


@pytest.mark.slow
async def test_sigkill_mid_run_loses_nothing_and_repeats_no_completed_step(
    isolated_client, address, write_spec, tmp_path
):
    catalog = {
        "agents": {
            "recorder": {
                "model": "function:tests.support.agents:record_step",
                "heartbeat": "1s",
                "timeout": "30s",
                "retry": {"max_attempts": 5, "initial_interval": "200ms"},
            }
        }
    }
    spec = {
        "name": "durable",
        "agents": "agents.yaml",
        "steps": [
            {
                "id": s,
                "agent": "recorder",
                "with": {"step": f"'{s}'", "log": "input.log", "seconds": 1},
            }
            for s in STEPS
        ],
    }
    effects = tmp_path / "effects.log"
    effects.touch()
    worker_log = tmp_path / "worker.log"
    first = start_worker(address, worker_log)
    second = None
    try:
        handle = await start_run(
            isolated_client, compile_spec(write_spec(spec, catalog)), {"log": str(effects)}
        )
        await wait_for(lambda: effects.read_text().count("start") >= 3, 30, "step 3 to start")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        before_kill = effects.read_text().splitlines()
        second = start_worker(address, worker_log)
        result = await asyncio.wait_for(handle.result(), timeout=60)
    finally:
        stop_process(first)
        stop_process(second)
    assert [s.status for s in result.state.steps] == ["completed"] * 6
    starts = Counter(
        line.split()[1] for line in effects.read_text().splitlines() if line.startswith("start")
    )
    done_before = {line.split()[1] for line in before_kill if line.startswith("done")}
    in_flight = {line.split()[1] for line in before_kill if line.startswith("start")} - done_before
    assert in_flight, "the kill did not land in the middle of a step"
    for step in STEPS:
        if step in in_flight:
            assert starts[step] <= 2, f"in-flight step {step} ran {starts[step]} times"
        else:
            assert starts[step] == 1, f"completed step {step} ran {starts[step]} times"


@pytest.mark.slow
async def test_sigkill_while_a_request_waits_then_a_new_worker_takes_the_decision(
    isolated_client, address, write_spec, tmp_path
):
    from podium.starters.humans import send_decision
    from podium.workflows.humans import DecisionInput
    from podium.workflows.state import RunState

    spec = {
        "name": "waits",
        "agents": {"agents": {}},
        "steps": [{"id": "signoff", "approval": {"title": "Sign", "approvers": ["deal-desk"]}}],
    }
    log = tmp_path / "worker.log"
    first = start_worker(address, log)
    second = None
    try:
        handle = await start_run(isolated_client, compile_spec(write_spec(spec)), {})

        async def asked() -> bool:
            return bool((await handle.query("status", result_type=RunState)).open_requests())

        await eventually(asked, "the approval request to open", timeout=30)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        second = start_worker(address, log)
        decision = DecisionInput(request_id="signoff-1", outcome="approve", by="deal-desk")
        record = await asyncio.wait_for(send_decision(handle, decision), timeout=60)
        assert record.request_id == "signoff-1"
        result = await asyncio.wait_for(handle.result(), timeout=60)
    finally:
        stop_process(first)
        stop_process(second)
    assert result.output["approved"] is True and result.state.requests[0].decision.by == "deal-desk"


@pytest.mark.slow
async def test_sigkill_during_compensation_still_undoes_everything(
    isolated_client, address, write_spec, tmp_path
):
    from podium.workflows.state import RunState
    from temporalio.client import WorkflowFailureError

    agent = {
        "model": "function:tests.support.agents:record_step",
        "heartbeat": "1s",
        "timeout": "30s",
        "retry": {"max_attempts": 1},
    }
    catalog = {"agents": {"maker": {**agent, "side_effects": True}, "undoer": agent}}

    def step(name: str, **extra: object) -> dict:
        return {
            "id": name,
            "agent": "maker",
            "with": {"step": f"'{name}'", "log": "input.log", "seconds": 0.2, **extra},
        }

    def undo(name: str) -> dict:
        return {
            "agent": "undoer",
            "with": {"step": f"'undo_{name}'", "log": "input.log", "seconds": 2},
        }

    spec = {
        "name": "undo_survives",
        "agents": "agents.yaml",
        "steps": [
            {**step("make_a"), "compensate": undo("make_a")},
            {**step("make_b"), "compensate": undo("make_b")},
            step("make_c", fail=True),  # fails: b then a must be undone
        ],
    }
    effects = tmp_path / "effects.log"
    effects.touch()
    worker_log = tmp_path / "worker.log"
    first = start_worker(address, worker_log)
    second = None
    try:
        handle = await start_run(
            isolated_client, compile_spec(write_spec(spec, catalog)), {"log": str(effects)}
        )
        await wait_for(lambda: "start undo_make_b" in effects.read_text(), 30, "undo to start")
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of the first compensation
        first.wait()
        assert "done undo_make_b" not in effects.read_text()
        second = start_worker(address, worker_log)
        with pytest.raises(WorkflowFailureError) as info:
            await asyncio.wait_for(handle.result(), timeout=60)
        state = await handle.query("status", result_type=RunState)
    finally:
        stop_process(first)
        stop_process(second)
    assert "make_c failed on purpose" in str(info.value.cause.message)
    assert [(c.step, c.status) for c in state.compensations] == [
        ("make_b", "completed"),
        ("make_a", "completed"),
    ]
    lines = effects.read_text().splitlines()
    done = [line.split()[1] for line in lines if line.startswith("done undo")]
    assert done == ["undo_make_b", "undo_make_a"]  # both undone, in reverse order, once each
    starts = Counter(line.split()[1] for line in lines if line.startswith("start"))
    assert starts["undo_make_b"] == 2 and starts["undo_make_a"] == 1  # killed one: redone
    assert starts["make_a"] == starts["make_b"] == 1  # completed steps never ran again
