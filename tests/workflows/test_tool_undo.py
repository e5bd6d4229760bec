"""A tool's compensate: with an undo whose arguments differ from the call's (an MCP
server shaped like server-memory: add_entity(name, kind) is undone by
delete_entities(entityNames)): the mapping is checked against the undo's schema when the
spec is compiled, and the saga calls the undo with what it makes of the call."""

from __future__ import annotations

import sys

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

pytestmark = pytest.mark.usefixtures("worker")
MARKED = [sys.executable, "-m", "tests.support.mcp_marked"]
ADD = {
    "when": "turn == `1`",
    "tool_calls": [{"name": "add", "arguments": {"name": "Ada", "kind": "person"}}],
}


def spec(compensate: object) -> dict:
    tools = {
        "add": {
            "mcp": {"command": MARKED, "tool": "add_entity"},
            "side_effects": True,
            "compensate": compensate,
        },
        "forget": {"mcp": {"command": MARKED, "tool": "delete_entities"}, "side_effects": True},
    }
    agents = {
        "keeper": {"model": "scripted", "tools": ["add"], "script": [ADD, {"output": "added"}]},
        "breaker": {"model": "scripted", "script": [{"fail": "no"}]},
    }
    return {
        "name": "undo_mapping",
        "agents": {"tools": tools, "agents": agents},
        "steps": [{"id": "keep", "agent": "keeper"}, {"id": "later", "agent": "breaker"}],
    }


async def test_the_undo_is_called_with_what_its_mapping_makes_of_the_call(client, write_spec):
    undo = {"tool": "forget", "with": {"entityNames": "[arguments.name]"}}
    plan = compile_spec(write_spec(spec(undo)))
    [tool] = plan.steps[0].agent.tools
    assert tool.compensate_with == {"entityNames": "[arguments.name]"}
    handle = await start_run(client, plan, {})
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("status", result_type=RunState)
    [undone] = state.compensations
    assert (undone.step, undone.agent, undone.status) == ("keep", "tool:forget", "completed")
    assert undone.output == {"deleted": ["Ada"]}  # the same server: it had added Ada


@pytest.mark.parametrize(
    ("compensate", "message", "hint"),
    [
        (
            "forget",
            "tool 'add': its undo 'forget' needs entityNames, which calls of 'add' do not have",
            "say how to fill it from the call: compensate: {tool: forget, with: "
            "{entityNames: <expression over arguments and result>}}",
        ),
        (
            {"tool": "forget", "with": {"entityName": "[arguments.name]"}},
            "tool 'add': compensate: 'entityName' is not an argument of 'forget'",
            "did you mean 'entityNames'?",
        ),
        (
            {"tool": "forget", "with": {"entityNames": "[arguments.nme]"}},
            "tool 'add': compensate: '[arguments.nme]' reads arguments.nme, which is not an "
            "argument of 'add'",
            "did you mean 'name'?",
        ),
        (
            {"tool": "forget", "with": {"entityNames": "[input.name]"}},
            "tool 'add': compensate: '[input.name]' reads 'input'; an undo's arguments read "
            "only the completed call's arguments and result",
            None,
        ),
        (
            {"tool": "forget", "with": {}},
            "tool 'add': compensate: with: lacks entityNames, which 'forget' requires",
            None,
        ),
        (
            {"tool": "forgot", "with": {"entityNames": "[arguments.name]"}},
            "tool 'add': compensate: names 'forgot', which is not a usable tool of the catalog",
            None,
        ),
    ],
)
def test_a_mapping_that_does_not_fit_the_undo_is_refused(write_spec, compensate, message, hint):
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(compensate)))
    [problem] = info.value.problems
    assert problem.message == message
    if hint is not None:
        assert problem.hint == hint
    assert "spec.yaml:" in str(info.value) and "compensate" in problem.where


def test_literal_values_and_the_result_may_fill_the_undo(write_spec):
    undo = {"tool": "forget", "with": {"entityNames": "[result.added]"}}
    plan = compile_spec(write_spec(spec(undo)))
    assert plan.steps[0].agent.tools[0].compensate_with == {"entityNames": "[result.added]"}
    undo = {"tool": "forget", "with": {"entityNames": ["Ada", "Grace"]}}
    plan = compile_spec(write_spec(spec(undo)))
    assert plan.steps[0].agent.tools[0].compensate_with == {"entityNames": '`["Ada", "Grace"]`'}
