"""A chain of agent steps on the real dev server: outputs, run state, failures."""

from __future__ import annotations

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client, WorkflowFailureError

from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")

OUT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
CATALOG = {
    "agents": {
        "drafter": {
            "model": "scripted",
            "output": OUT,
            "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
            "script": [{"output": {"text": "draft about {{ topic }}"}}],
        },
        "editor": {
            "model": "scripted",
            "output": OUT,
            "script": [{"output": {"text": "edited: {{ draft.text }}"}}],
        },
        "signer": {"model": "scripted", "script": [{"output": "signed {{ doc }}"}]},
    }
}


def chain(*steps: dict, **extra) -> dict:
    return {"name": "chain", "agents": "agents.yaml", "steps": list(steps), **extra}


THREE = chain(
    {"id": "draft", "agent": "drafter", "with": {"topic": "input.topic"}},
    {"id": "edit", "agent": "editor", "with": {"draft": "steps.draft.output"}},
    {"id": "sign", "agent": "signer", "with": {"doc": "steps.edit.output.text"}},
    output={"final": "steps.sign.output", "draft": "steps.draft.output.text"},
)


async def run(client: Client, path, run_input: dict, **kw) -> RunResult:
    handle = await start_run(client, compile_spec(path), run_input, **kw)
    return await handle.result()


async def test_three_step_chain_passes_outputs_along(client, write_spec):
    result = await run(client, write_spec(THREE, CATALOG), {"topic": "tea"})
    assert result.output == {"final": "signed edited: draft about tea", "draft": "draft about tea"}
    state = result.state
    assert [s.status for s in state.steps] == ["completed"] * 3
    assert all(s.attempts == 1 and s.offline for s in state.steps)
    assert state.steps[0].started_at <= state.steps[1].started_at <= state.steps[2].started_at
    assert state.usage.total_tokens == sum(s.usage.total_tokens for s in state.steps) > 0
    draft = state.steps[0]
    expected = (draft.usage.input_tokens * 1.0 + draft.usage.output_tokens * 2.0) / 1e6
    assert draft.cost_usd == pytest.approx(expected)
    assert state.cost_usd == pytest.approx(sum(s.cost_usd for s in state.steps))


async def test_status_query_and_search_attributes(client, write_spec):
    handle = await start_run(client, compile_spec(write_spec(THREE, CATALOG)), {"topic": "x"})
    await handle.result()
    state = await handle.query("status", result_type=RunState)
    assert state.status == "completed" and state.steps[2].output.startswith("signed")
    query = f'WorkflowId = "{handle.id}" AND PodiumStatus = "completed" AND PodiumSpec = "chain"'

    async def found() -> bool:
        return bool([w async for w in client.list_workflows(query)])

    await eventually(found, "the run by its search attributes", timeout=15)
    desc = await handle.describe()
    assert await desc.static_summary() == "chain"


async def test_transient_faults_are_retried_by_temporal(client, write_spec):
    catalog = {
        "agents": {
            "flaky": {
                "model": "scripted",
                "faults": {"fail_times": 2, "error": "ProviderServerError"},
                "retry": {"max_attempts": 5, "initial_interval": "100ms"},
            }
        }
    }
    result = await run(client, write_spec(chain({"id": "s", "agent": "flaky"}), catalog), {})
    assert result.state.steps[0].status == "completed"
    assert result.state.steps[0].attempts == 3


async def test_permanent_fault_fails_the_run_at_once_naming_step_and_cause(client, write_spec):
    catalog = {
        "agents": {
            "ok": {"model": "scripted"},
            "locked": {
                "model": "scripted",
                "faults": {"fail_times": 9, "error": "ProviderAuthError", "message": "key revoked"},
                "retry": {"max_attempts": 5, "initial_interval": "100ms"},
            },
        }
    }
    spec = chain(
        {"id": "first", "agent": "ok"},
        {"id": "second", "agent": "locked"},
        {"id": "third", "agent": "ok"},
    )
    handle = await start_run(client, compile_spec(write_spec(spec, catalog)), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    message = info.value.cause.message
    assert (
        "step 'second'" in message and "ProviderAuthError" in message and "key revoked" in message
    )
    state = await handle.query("status", result_type=RunState)
    assert [s.status for s in state.steps] == ["completed", "failed", "pending"]
    assert state.steps[1].attempts == 1  # permanent: never retried
    assert state.status == "failed"


async def test_runtime_expression_error_fails_the_run_clearly(client, write_spec):
    spec = chain({"id": "a", "agent": "signer", "with": {"doc": "length(input.n)"}})
    handle = await start_run(client, compile_spec(write_spec(spec, CATALOG)), {"n": 5})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert "input 'doc'" in info.value.cause.message and "length" in info.value.cause.message
