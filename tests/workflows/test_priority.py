"""Priority and fairness: a spec's (or a run's) ``priority:`` becomes the run's Temporal
task Priority — inherited by its agent calls — so an urgent run overtakes a backlog
of others on the real dev server, and people can see which priority a run has."""

from __future__ import annotations

import asyncio
import io

import pytest
from podium.activities.payloads.converter import data_converter
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import status
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from temporalio.client import Client
from temporalio.common import Priority

from tests.conftest import ISOLATED_NAMESPACE


def spec(**priority) -> dict:
    agent = {"model": "scripted", "latency": "100ms", "script": [{"output": "done"}]}
    return {
        "name": "ticket",
        "input": {"type": "object", "properties": {"market": {"type": "string"}}},
        "agents": {"agents": {"helper": agent}},
        "steps": [{"id": "answer", "agent": "helper"}],
        **({"priority": priority} if priority else {}),
    }


async def test_the_spec_priority_and_fairness_key_reach_the_run(client, write_spec):
    plan = compile_spec(write_spec(spec(key=1, fairness="input.market", weight=2)))
    handle = await start_run(client, plan, {"market": "TH"})
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.priority.priority_key == 1
    assert started.priority.fairness_key == "TH" and started.priority.fairness_weight == 2
    override = await start_run(client, plan, {"market": "TH"}, priority=Priority(priority_key=4))
    history = await override.fetch_history()
    assert history.events[0].workflow_execution_started_event_attributes.priority.priority_key == 4


@pytest.mark.usefixtures("worker")
async def test_status_shows_the_priority(client, write_spec):
    plan = compile_spec(write_spec(spec(key=2, fairness="input.market")))
    handle = await start_run(client, plan, {"market": "VN"})
    await handle.result()
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0
    assert "priority 2, fairness VN" in out.getvalue()


def test_bad_priorities_are_refused_at_compile_time(write_spec):
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(key=9)))
    assert "priority.key" in str(info.value) and "less than or equal to 5" in str(info.value)
    with pytest.raises(CompileError) as info:  # read when the run starts: only the input
        compile_spec(write_spec(spec(key=1, fairness="steps.answer.output")))
    assert "priority.fairness" in str(info.value) and "'answer'" in str(info.value)


async def test_an_urgent_run_overtakes_a_backlog(address, write_spec):
    client = await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter()
    )
    plan = compile_spec(write_spec(spec()))
    flood = [
        await start_run(client, plan, {}, priority=Priority(priority_key=5)) for _ in range(30)
    ]
    workers = build_workers(client, WorkerOptions(activity_slots=1))  # one call at a time
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        await asyncio.wait_for(asyncio.gather(*(h.result() for h in flood[:5])), 60)
        urgent = await start_run(client, plan, {}, priority=Priority(priority_key=1))
        done = [await asyncio.wait_for(h.result(), 60) for h in [*flood, urgent]]
    finally:
        for worker in workers:
            await worker.shutdown()
        for task in tasks:
            task.cancel()
    finished = sorted(r.state.finished_at for r in done)
    rank = finished.index(done[-1].state.finished_at)
    assert rank <= 10, f"the urgent run finished {rank + 1}th of {len(done)}"  # not 31st


async def test_a_market_flooding_the_queue_does_not_starve_another(address, write_spec):
    client = await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter()
    )
    plan = compile_spec(write_spec(spec(fairness="input.market")))
    flood = [await start_run(client, plan, {"market": "TH"}) for _ in range(30)]
    few = [await start_run(client, plan, {"market": "VN"}) for _ in range(3)]
    workers = build_workers(client, WorkerOptions(activity_slots=1))  # one call at a time
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        done = [await asyncio.wait_for(h.result(), 60) for h in [*flood, *few]]
    finally:
        for worker in workers:
            await worker.shutdown()
        for task in tasks:
            task.cancel()
    finished = sorted(r.state.finished_at for r in done)
    ranks = [finished.index(r.state.finished_at) for r in done[-3:]]
    assert max(ranks) < 15, f"VN runs finished at {ranks} of {len(done)}"  # not 31st-33rd
