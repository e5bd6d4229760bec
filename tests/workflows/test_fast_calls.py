"""The fast path: agents and tools declared ``fast`` run their first attempt as a local
activity on the orchestration worker (a marker in the history instead of a scheduled
task: far less server work), with the same idempotency keys, and fall back to regular
activities when that attempt fails."""

from __future__ import annotations

import asyncio

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run

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


async def test_fast_agents_run_as_local_activities(client, write_spec):
    for agent in (
        {"model": "function:tests.support.agents:echo", "fast": True},
        {"model": "scripted", "fast": True, "script": [{"output": "{{ value }}"}]},
    ):
        handle = await start_run(client, compile_spec(write_spec(spec(agent))), {})
        result = await handle.result()
        assert result.output in (2, "2")
        assert [s.status for s in result.state.steps] == ["completed"] * 3
        # s0 local; s1 follows it in the same workflow task, so it goes as a regular
        # activity (scheduling it commits s0); s2 local again
        assert await kinds_of_calls(handle) == (2, 1)


async def test_agents_not_declared_fast_stay_regular_activities(client, write_spec):
    for agent in (
        {"model": "scripted", "script": [{"output": "ok"}]},
        {"model": "function:tests.support.agents:echo"},  # a function may be slow
    ):
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
    step = {"model": "function:tests.support.agents:record_step", "fast": True}
    agents = {"agents": {"step": step}}
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


async def test_a_fast_tool_runs_as_a_local_activity_beside_regular_model_turns(client, write_spec):
    quoter = {
        "model": "scripted",
        "tools": ["vat"],
        "script": [
            {
                "when": "turn == `1`",
                "tool_calls": [{"name": "vat", "arguments": {"country": "TH", "amount": 100}}],
            },
            {"output": "{{ tool_results.vat.vat }}"},
        ],
    }
    tools = {"vat": {"function": "tests.support.tools:vat", "fast": True}}
    plan = compile_spec(
        write_spec(
            {
                "name": "fast_tool",
                "agents": {"tools": tools, "agents": {"quoter": quoter}},
                "steps": [{"id": "quote", "agent": "quoter"}],
                "output": "steps.quote.output",
            }
        )
    )
    handle = await start_run(client, plan, {})
    result = await handle.result()
    assert result.output == 7.0
    assert [(c.tool, c.status) for c in result.state.steps[0].tool_calls] == [("vat", "ok")]
    assert await kinds_of_calls(handle) == (1, 2)  # the tool local; two model turns regular


def test_calls_on_a_limited_provider_never_take_the_fast_path():
    from podium.activities.contracts import AgentConfig, ProviderConfig
    from podium.workflows.steps.agent_call import runs_locally

    def agent(**limits) -> AgentConfig:
        provider = ProviderConfig(name="p", kind="openai", base_url="http://x", **limits)
        return AgentConfig(name="a", provider=provider, model="m", fast=True)

    assert runs_locally(agent())
    assert not runs_locally(agent(requests_per_second=5))
    assert not runs_locally(agent(tokens_per_minute=1000))
    assert not runs_locally(agent(max_concurrency=2))
