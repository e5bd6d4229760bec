"""The fast path: function agents, agents declared ``fast`` and function tools run their
first attempt as a local activity on the orchestration worker (a marker in the history
instead of a scheduled task: far less server work), with the same idempotency keys, and
fall back to regular activities when that attempt fails."""

from __future__ import annotations

import asyncio

import pytest
from podium.starters.launch import start_run
from podium.workflows.compiler import compile_spec

pytestmark = pytest.mark.usefixtures("worker")


async def kinds_of_calls(handle) -> tuple[int, int]:
    """(local activity markers, scheduled activities) in the run's history."""
    history = await handle.fetch_history()
    markers = sum(
        1
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )
    scheduled = sum(
        1 for e in history.events if e.HasField("activity_task_scheduled_event_attributes")
    )
    return markers, scheduled


def spec(agent: dict, steps: int = 3) -> dict:
    return {
        "name": "fast",
        "agents": {"agents": {"a": agent}},
        "steps": [{"id": f"s{i}", "agent": "a", "with": {"value": f"`{i}`"}} for i in range(steps)],
        "output": f"steps.s{steps - 1}.output",
    }


async def test_function_and_fast_agents_run_as_local_activities(client, write_spec):
    for agent in (
        {"model": "function:tests.support.agents:echo"},
        {"model": "scripted", "fast": True, "script": [{"output": "{{ value }}"}]},
    ):
        handle = await start_run(client, compile_spec(write_spec(spec(agent))), {})
        result = await handle.result()
        assert result.output in (2, "2")
        assert [s.status for s in result.state.steps] == ["completed"] * 3
        assert await kinds_of_calls(handle) == (3, 0)  # three markers, no activity task


async def test_other_agents_stay_regular_activities(client, write_spec):
    agent = {"model": "scripted", "script": [{"output": "ok"}]}
    handle = await start_run(client, compile_spec(write_spec(spec(agent))), {})
    await handle.result()
    assert await kinds_of_calls(handle) == (0, 3)


async def test_a_failed_fast_attempt_is_retried_as_a_regular_activity(client, write_spec):
    flaky = {
        "model": "scripted",
        "fast": True,
        "faults": {"fail_times": 1, "error": "ProviderServerError"},
        "retry": {"max_attempts": 3, "initial_interval": "100ms"},
        "script": [{"output": "ok"}],
    }
    handle = await start_run(client, compile_spec(write_spec(spec(flaky, steps=1))), {})
    result = await handle.result()
    assert result.output == "ok" and result.state.steps[0].attempts == 2
    assert await kinds_of_calls(handle) == (1, 1)  # the local try, then a regular one


async def test_a_worker_killed_mid_chain_repeats_no_completed_fast_call(
    address, write_spec, tmp_path
):
    import signal

    from podium.activities.payloads.converter import data_converter
    from temporalio.client import Client

    from tests.conftest import ISOLATED_NAMESPACE
    from tests.support.worker_process import start_worker, wait_for
    from tests.test_continue_as_new import finished

    log, worker_log = tmp_path / "steps.log", tmp_path / "worker.log"
    client = await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter()
    )
    agents = {"agents": {"step": {"model": "function:tests.support.agents:record_step"}}}
    steps = [
        {
            "id": f"s{i}",
            "agent": "step",
            "with": {"log": f"'{log}'", "step": f"'s{i}'", "seconds": 0.5},
        }
        for i in range(6)
    ]
    plan = compile_spec(write_spec({"name": "fast_chain", "agents": agents, "steps": steps}))
    worker = start_worker(address, worker_log, ISOLATED_NAMESPACE)
    handle = await start_run(client, plan, {})
    try:
        await wait_for(lambda: len(finished(log)) >= 3, 30, "3 steps")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker = start_worker(address, worker_log, ISOLATED_NAMESPACE)
        await asyncio.wait_for(handle.result(), 60)
    finally:
        worker.kill()
    counts = finished(log)
    assert len(counts) == 6
    repeated = [step for step, n in counts.items() if n > 1]
    assert len(repeated) <= 1, f"completed fast calls ran again: {repeated}"
