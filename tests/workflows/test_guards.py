"""Guards on the real dev server: personal data masked before a provider sees it (what
llmock received), a blocked answer failing its step as GuardTripped or going to a person,
prompt injection in a tool result caught by the rules and by a classifier agent, and what
status, report and the metrics endpoint show."""

from __future__ import annotations

import io
import random

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import report, status
from podium.starters.devserver import free_port, stop_process
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

from tests.support import pii_samples as samples
from tests.test_metrics import scrape, start_worker, value
from tests.workflows.test_humans import decide, open_request

pytestmark = pytest.mark.usefixtures("worker")

RNG = random.Random(4242)
NRIC = samples.sg_nric(RNG, "S")
MAIL = "mei.ling@example.com"
SCHEMA = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}
PAGE = "tests.support.guard_tools:"


def one_step(catalog: dict, agent: str = "intake", **step) -> dict:
    step = {"id": "triage", "agent": agent, "with": {"ticket": "input.ticket"}, **step}
    return {"name": "guarded", "agents": "agents.yaml", "steps": [step]}


async def shown(client, run_id: str) -> str:
    """What podium status and podium report print for the run."""
    out = io.StringIO()
    await status.main(client, run_id, out=out)
    await report.main(client, run_id, "md", out=out)
    return out.getvalue()


async def test_personal_data_is_masked_before_the_provider_sees_it(
    client, mock_llm, write_spec, monkeypatch
):
    monkeypatch.setenv("PODIUM_GUARD_KEY", "sk-guard-test")
    catalog = {
        "providers": {
            "mock": {"base_url": f"{mock_llm.url}/v1", "api_key_env": "PODIUM_GUARD_KEY"}
        },
        "agents": {
            "intake": {"model": "mock:gpt-4o-mini", "output": SCHEMA, "guard": {"input": "mask"}}
        },
    }
    plan = compile_spec(write_spec(one_step(catalog), catalog))
    ticket = f"From {MAIL}: my NRIC is {NRIC}, please update my address."
    handle = await start_run(client, plan, {"ticket": ticket})
    result = await handle.result()
    [request] = mock_llm.requests()
    sent = request["body"]["messages"][1]["content"]
    assert "m***@example.com" in sent and f"S****{NRIC[5:]}" in sent
    assert MAIL not in sent and NRIC not in sent
    note = "guard of agent 'intake' masked email ×1, sg_nric ×1 in its input"
    assert f"step 'triage': {note}" in result.state.flags
    printed = await shown(client, handle.id)
    assert printed.count(note) >= 2  # status and report (the run's input is its own record)


def replier(guard: dict) -> dict:
    answer = {"reply": f"Write to {MAIL} or call +65 9123 4567."}
    return {
        "agents": {"intake": {"model": "scripted", "script": [{"output": answer}], "guard": guard}}
    }


async def test_a_blocked_answer_fails_its_step_with_the_guard_error(client, write_spec):
    catalog = replier({"output": {"pii": "block", "kinds": ["phone", "email"]}})
    handle = await start_run(client, compile_spec(write_spec(one_step(catalog), catalog)), {})
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("status", result_type=RunState)
    step = state.step("triage")
    assert step.status == "failed" and step.error_type == "GuardTripped"
    assert "email in output 'reply'" in step.error and "phone in output 'reply'" in step.error
    assert state.agents["intake"].errors == {"GuardTripped": 1}
    printed = await shown(client, handle.id)
    assert "GuardTripped" in printed and MAIL not in printed and "9123" not in printed


async def test_a_trip_declared_escalate_goes_to_a_person(client, write_spec):
    guard = {"output": "block", "on_trip": "escalate", "escalate_to": ["privacy-desk"]}
    catalog = replier(guard)
    handle = await start_run(client, compile_spec(write_spec(one_step(catalog), catalog)), {})
    state = await open_request(handle)
    [request] = state.open_requests()
    assert request.kind == "failure" and request.failure.startswith("GuardTripped: guard of agent")
    assert request.approvers == ["privacy-desk"] and MAIL not in request.failure
    await decide(handle, request.id, "supply", "privacy-desk", output={"reply": "sent"})
    result = await handle.result()
    assert result.state.step("triage").output == {"reply": "sent"}


def tool_step(tool: str, guard: dict, agents: dict | None = None) -> dict:
    first = {"when": "turn == `1`", "tool_calls": [{"name": "page", "arguments": {"url": "x"}}]}
    agent = {
        "model": "scripted",
        "tools": ["page"],
        "script": [first, {"output": {"body": "{{ tool_results.page.body }}"}}],
        "guard": guard,
    }
    return {
        "tools": {"page": {"function": PAGE + tool}},
        "agents": {"intake": agent, **(agents or {})},
    }


async def test_injection_in_a_tool_result_never_reaches_the_model(client, write_spec):
    catalog = tool_step("web_page", {"injection": True})
    handle = await start_run(client, compile_spec(write_spec(one_step(catalog), catalog)), {})
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    step = (await handle.query("status", result_type=RunState)).step("triage")
    assert step.error_type == "GuardTripped" and step.turns == 1  # no second model turn
    assert "ignore_instructions in the result 'body'" in step.error
    [call] = step.tool_calls
    assert call.status == "refused" and "prompt injection" in call.error


JUDGE = {
    "judge": {
        "model": "scripted",
        "script": [
            {"when": "contains(result, 'wire')", "output": {"injection": True, "reason": "asks"}},
            {"output": {"injection": False}},
        ],
    }
}


async def test_a_classifier_agent_catches_what_the_rules_miss(client, write_spec):
    guard = {"injection": {"classifier": "judge"}}
    catalog = tool_step("quiet_page", guard, JUDGE)
    handle = await start_run(client, compile_spec(write_spec(one_step(catalog), catalog)), {})
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("status", result_type=RunState)
    step = state.step("triage")
    assert step.error_type == "GuardTripped" and "classifier 'judge' said so" in step.error
    assert state.agents["judge"].calls == 1  # its call is charged to the run


async def test_a_clean_result_passes_the_classifier(client, write_spec):
    catalog = tool_step("clean_page", {"injection": {"classifier": "judge"}}, JUDGE)
    handle = await start_run(client, compile_spec(write_spec(one_step(catalog), catalog)), {})
    result = await handle.result()
    assert result.state.step("triage").output == {"body": "USD/THB 35.2 at 10:00 today."}
    assert result.state.agents["judge"].calls == 1


async def test_a_tools_result_is_redacted_and_the_trips_are_counted(
    isolated_client, address, write_spec, tmp_path
):
    port = free_port()
    worker = start_worker(address, port, tmp_path / "worker.log", {})
    try:
        guard = {"output": "redact"}
        first = {
            "when": "turn == `1`",
            "tool_calls": [{"name": "lookup", "arguments": {"ref": "A1"}}],
        }
        agent = {
            "model": "scripted",
            "tools": ["lookup"],
            "script": [first, {"output": {"seen": "{{ tool_results.lookup.email }}"}}],
            "guard": {"input": "mask"},
        }
        catalog = {
            "tools": {"lookup": {"function": PAGE + "customer", "guard": guard}},
            "agents": {"intake": agent},
        }
        plan = compile_spec(write_spec(one_step(catalog), catalog))
        result = await (await start_run(isolated_client, plan, {"ticket": f"NRIC {NRIC}"})).result()
        samples_ = scrape(port)
    finally:
        stop_process(worker)
    assert result.state.step("triage").output == {"seen": "[EMAIL]"}
    tool = {"tool": "lookup", "check": "output", "action": "redact"}
    assert value(samples_, "podium_guard_trips", **tool, kind="email") == 1
    assert value(samples_, "podium_guard_trips", **tool, kind="phone") == 1
    agent_ = {"agent": "intake", "check": "input", "action": "mask"}
    assert value(samples_, "podium_guard_trips", **agent_, kind="sg_nric") >= 1
