"""Error recovery: repair rounds on schema-invalid output, then fallback agents."""

from __future__ import annotations

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

pytestmark = pytest.mark.usefixtures("worker")

SCHEMA = {
    "type": "object",
    "required": ["verdict"],
    "properties": {"verdict": {"enum": ["ok", "risky"]}},
}


def catalog(llm_url: str, **primary) -> dict:
    return {
        "providers": {"mock": {"base_url": f"{llm_url}/v1"}},
        "agents": {
            "primary": {
                "model": "mock:gpt-4o-mini",
                "output": SCHEMA,
                "fallback": ["backup"],
                "retry": {"max_attempts": 3, "initial_interval": "100ms"},
                **primary,
            },
            "backup": {
                "model": "scripted",
                "output": SCHEMA,
                "script": [{"output": {"verdict": "risky"}}],
            },
        },
    }


SPEC = {
    "name": "recovery",
    "agents": "agents.yaml",
    "steps": [{"id": "check", "agent": "primary", "with": {"doc": "input.doc"}}],
}


async def run(client, write_spec, cat):
    handle = await start_run(
        client, compile_spec(write_spec(SPEC, cat), offline=False), {"doc": "contract"}
    )
    return await handle.result()


async def test_schema_invalid_answer_is_repaired_on_round_two(client, mock_llm, write_spec):
    mock_llm.queue({"type": "reply", "text": '{"verdict": "maybe"}'})
    result = await run(client, write_spec, catalog(mock_llm.url))
    step = result.state.step("check")
    assert step.status == "completed" and step.output["verdict"] in ("ok", "risky")
    assert step.agent == "primary"
    assert [(t.agent, t.outcome) for t in step.tried] == [("primary", "failed"), ("primary", "ok")]
    assert "OutputSchemaError" in step.tried[0].error and step.tried[0].next.startswith(
        "repair round 1"
    )
    first, second = mock_llm.requests()
    assert len(first["body"]["messages"]) == 2
    repair = second["body"]["messages"]
    assert repair[2] == {"role": "assistant", "content": '{"verdict": "maybe"}'}
    assert (
        "does not validate" in repair[3]["content"]
        and "'maybe' is not one of" in repair[3]["content"]
    )


async def test_fallback_after_a_permanent_401(client, mock_llm, write_spec):
    mock_llm.queue(
        {"type": "fail", "status": 401, "message": "Incorrect API key provided", "times": 5}
    )
    result = await run(client, write_spec, catalog(mock_llm.url))
    step = result.state.step("check")
    assert step.status == "completed" and step.output == {"verdict": "risky"}
    assert step.agent == "backup" and step.offline
    assert step.tried[0].agent == "primary" and "ProviderAuthError" in step.tried[0].error
    assert step.tried[0].next == "fall back to backup"
    assert len(mock_llm.requests()) == 1  # a 401 is not retried


async def test_exhausted_repairs_move_on_to_the_fallback(client, mock_llm, write_spec):
    mock_llm.queue({"type": "reply", "text": "not json", "times": 2})
    result = await run(client, write_spec, catalog(mock_llm.url, repair_attempts=1))
    step = result.state.step("check")
    assert [t.next for t in step.tried] == [
        "repair round 1 with the validation errors",
        "fall back to backup",
        None,
    ]
    assert step.output == {"verdict": "risky"} and len(mock_llm.requests()) == 2


def test_fallback_to_an_unknown_agent_is_refused(write_spec):
    cat = catalog("http://127.0.0.1:9")
    cat["agents"]["primary"]["fallback"] = ["bakup"]
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(SPEC, cat))
    [problem] = info.value.problems
    assert "unknown agent 'bakup'" in problem.message and "did you mean 'backup'" in problem.hint
    assert "agents.primary.fallback[0]" in problem.where


CALLS_A_TOOL = {"type": "reply", "tool_calls": [{"name": "lookup", "arguments": {"id": 7}}]}


async def test_tool_calls_of_an_agent_without_tools_are_repaired_never_a_null_output(
    client, mock_llm, write_spec
):
    mock_llm.queue(CALLS_A_TOOL, {"type": "reply", "text": '{"verdict": "ok"}'})
    result = await run(client, write_spec, catalog(mock_llm.url, fallback=[]))
    step = result.state.step("check")
    assert step.status == "completed" and step.output == {"verdict": "ok"}
    assert step.tried[0].error == (
        "OutputSchemaError: agent 'primary' answered with tool calls (lookup) where no "
        "tools were offered; expected a JSON value that validates against the schema"
    )
    first, second = mock_llm.requests()
    assert "tools" not in first["body"]
    said, told = second["body"]["messages"][2:]
    assert said == {"role": "assistant", "content": '[tool calls: lookup({"id": 7})]'}
    assert "you called lookup, but no tools are available here" in told["content"]


async def test_an_agent_that_keeps_calling_tools_it_lacks_fails_after_its_repairs(
    client, mock_llm, write_spec
):
    mock_llm.queue({**CALLS_A_TOOL, "times": None})
    handle = await start_run(
        client,
        compile_spec(write_spec(SPEC, catalog(mock_llm.url, fallback=[])), offline=False),
        {"doc": "contract"},
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("status", result_type=RunState)
    step = state.step("check")
    assert step.status == "failed" and step.output is None
    assert step.error_type == "OutputSchemaError"
    assert len(mock_llm.requests()) == 3  # the answer, then 2 repair rounds
