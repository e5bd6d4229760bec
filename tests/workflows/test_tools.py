"""Agents that call tools, on the real dev server with the offline scripted model: the
durable tool loop (one activity per call, idempotency keys, parallel calls), errors the
model is told, approval of side-effecting calls, max_turns, and compile-time checks.
HTTP tools, a worker killed mid loop and compensation: test_tools_beyond_a_process.py."""

from __future__ import annotations

import io
import re

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import report, status
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunState
from podium.workflows.steps.budget import estimate
from temporalio.client import WorkflowFailureError

from tests.support.tool_specs import ANSWER, FN, LOOKUP, TOOLS, calls, spec
from tests.workflows.test_humans import open_request

pytestmark = pytest.mark.usefixtures("worker")


async def test_the_model_calls_two_tools_at_once_and_answers_from_their_results(
    client, write_spec, tool_log
):
    plan = compile_spec(write_spec(spec([LOOKUP, ANSWER], ["fx_rate", "vat"])))
    [fx, vat] = plan.steps[0].agent.tools
    assert fx.parameters["properties"]["quote"]["enum"] == ["THB", "SGD", "IDR"]  # type hints
    assert "idempotency_key" not in fx.parameters["properties"]
    handle = await start_run(client, plan, {"quote": "THB"})
    result = await handle.result()
    assert result.output == {"rate": 35.2, "vat": 7.0}  # one {{ expression }} keeps its type
    step = result.state.step("price")
    assert step.turns == 2
    assert [(c.tool, c.status) for c in step.tool_calls] == [("fx_rate", "ok"), ("vat", "ok")]
    fx_key, vat_key = (c.key for c in step.tool_calls)  # <run>/<step>/<loop>/<turn>/<call>
    assert re.fullmatch(rf"{handle.id}/price/[0-9a-f]{{8}}/1/0", fx_key)
    assert vat_key == fx_key.removesuffix("/0") + "/1"
    [fx_logged] = [c for c in calls(tool_log) if c["tool"] == "fx_rate"]
    assert fx_logged["key"] == fx_key  # the tool got its key
    assert step.cost_usd == pytest.approx(0.01, abs=1e-3)  # the tool's price counts
    history = await handle.fetch_history()
    summaries = {
        e.user_metadata.summary.data.decode()
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    }
    assert '"quoter · fx_rate"' in summaries and '"quoter · vat"' in summaries


async def test_arguments_that_fail_the_schema_go_back_to_the_model_not_to_the_tool(
    client, write_spec, tool_log
):
    script = [
        LOOKUP,
        {"when": "tool_results.fx_rate.error", "output": "{{ tool_results.fx_rate.error }}"},
    ]
    handle = await start_run(
        client, compile_spec(write_spec(spec(script, ["fx_rate", "vat"]))), {"quote": "EUR"}
    )
    result = await handle.result()
    assert "do not match its schema" in result.output and "'EUR'" in result.output
    fx = result.state.step("price").tool_calls[0]
    assert fx.status == "refused"
    assert [c["tool"] for c in calls(tool_log)] == ["vat"]  # fx_rate was never called


async def test_a_tool_that_fails_is_reported_to_the_model(client, write_spec, tool_log):
    failing = {
        "when": "turn == `1`",
        "tool_calls": [{"name": "fx_rate", "arguments": {"base": "EUR", "quote": "THB"}}],
    }
    script = [failing, {"output": "{{ tool_results.fx_rate.error }}"}]
    result = await (
        await start_run(client, compile_spec(write_spec(spec(script, ["fx_rate"]))), {})
    ).result()
    assert result.output == "tool 'fx_rate' failed: ValueError: no rate for EUR/THB"
    assert result.state.step("price").tool_calls[0].status == "error"


async def test_a_side_effecting_call_waits_for_a_person_and_runs_once(client, write_spec, tool_log):
    send = {
        "when": "turn == `1`",
        "tool_calls": [
            {"name": "send_quote", "arguments": {"customer": "Kopi Pay", "total": 420.5}}
        ],
    }
    script = [send, {"output": "{{ tool_results.send_quote }}"}]
    handle = await start_run(client, compile_spec(write_spec(spec(script, ["send_quote"]))), {})
    state = await open_request(handle)
    [request] = state.open_requests()
    assert request.title == "quoter wants to call send_quote"
    assert request.details == {"customer": "Kopi Pay", "total": 420.5}  # the concrete call
    assert calls(tool_log) == []  # nothing sent before the person decides
    await send_decision(
        handle, DecisionInput(request_id=request.id, outcome="approve", by="deal-desk")
    )
    result = await handle.result()
    assert [c["tool"] for c in calls(tool_log)] == ["send_quote"]
    assert re.fullmatch(rf"{handle.id}/price/[0-9a-f]{{8}}/1/0", calls(tool_log)[0]["key"])
    assert result.state.step("price").tool_calls[0].approved_by == "deal-desk"


async def test_a_declined_call_is_not_made_and_the_model_is_told(client, write_spec, tool_log):
    send = {
        "when": "turn == `1`",
        "tool_calls": [{"name": "send_quote", "arguments": {"customer": "Kopi Pay", "total": 9e9}}],
    }
    script = [send, {"output": "{{ tool_results.send_quote.error }}"}]
    handle = await start_run(client, compile_spec(write_spec(spec(script, ["send_quote"]))), {})
    state = await open_request(handle)
    decision = DecisionInput(
        request_id=state.open_requests()[0].id, outcome="reject", by="deal-desk", comment="too high"
    )
    await send_decision(handle, decision)
    result = await handle.result()
    assert result.output == "deal-desk declined calling 'send_quote': too high; it was not called"
    assert calls(tool_log) == []


async def test_max_turns_ends_the_loop_and_is_flagged(client, write_spec, tool_log):
    again = {"tool_calls": [{"name": "vat", "arguments": {"country": "SG", "amount": 1}}]}
    result = await (
        await start_run(client, compile_spec(write_spec(spec([again], ["vat"], max_turns=3))), {})
    ).result()
    step = result.state.step("price")
    assert step.turns == 3 and len(step.tool_calls) == 2  # the last turn could not call tools
    assert any("used all 3 turns" in flag for flag in result.state.flags)


PRICED = {"price": {"input_per_mtok": 1000, "output_per_mtok": 2000}, "max_output_tokens": 50}


async def test_each_turn_of_a_loop_reserves_its_estimate_and_what_it_spent_stays_charged(
    client, write_spec, tool_log
):
    again = {"tool_calls": [{"name": "vat", "arguments": {"country": "SG", "amount": 1}}]}
    plan = compile_spec(write_spec(spec([again], ["vat"], **PRICED)))
    node = plan.steps[0]
    first = estimate(node.agent, {"quote": None}, None)  # turn 1's estimate fits exactly;
    limited = spec([again], ["vat"], **PRICED)  # turn 2's (a longer transcript) does not
    limited["budget"] = {"tokens": first.total_tokens, "on_exceed": "fail"}
    handle = await start_run(client, compile_spec(write_spec(limited)), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert info.value.cause.type == "BudgetExceeded"
    assert "run budget exhausted at step 'price' (agent 'quoter')" in info.value.cause.message
    state = await handle.query("status", result_type=RunState)
    step = state.step("price")
    [turn] = step.turn_costs  # turn 2 never started; turn 1 and its tool are charged
    assert turn.turn == 1 and turn.cost_usd > 0 and turn.tools_usd == pytest.approx(0.01)
    assert state.budget is not None and state.budget.spent_tokens == step.usage.total_tokens > 0
    assert step.cost_usd == pytest.approx(turn.cost_usd + 0.01)
    assert state.cost_usd == pytest.approx(step.cost_usd)
    assert state.agents["quoter"].cost_usd == pytest.approx(step.cost_usd)
    assert [c["tool"] for c in calls(tool_log)] == ["vat"]


async def test_a_tool_whose_price_does_not_fit_the_budget_is_not_called(
    client, write_spec, tool_log
):
    limited = spec([LOOKUP, ANSWER], ["fx_rate", "vat"])  # vat costs $0.01; the model nothing
    limited["budget"] = {"usd": 0.005, "on_exceed": "fail"}
    handle = await start_run(client, compile_spec(write_spec(limited)), {"quote": "THB"})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert info.value.cause.type == "BudgetExceeded"
    message = info.value.cause.message
    assert "at step 'price' (tool 'vat' of agent 'quoter')" in message
    assert "vat" not in [c["tool"] for c in calls(tool_log)]  # never called


async def test_a_rate_limited_tool_spaces_its_calls_across_the_run(client, write_spec, tool_log):
    limited = spec(
        [
            {
                "when": "turn == `1`",
                "tool_calls": [
                    {"name": "lookup", "arguments": {"topic": t, "seconds": 0}} for t in "abcd"
                ],
            },
            {"output": "done"},
        ],
        ["lookup"],
    )
    limited["agents"]["tools"]["lookup"] = {
        "function": FN.removeprefix("function:") + "slow_lookup",
        "requests_per_second": 2,
    }
    handle = await start_run(client, compile_spec(write_spec(limited)), {})
    assert (await handle.result()).output == "done"
    times = sorted(c["at"] for c in calls(tool_log) if c["tool"] == "slow_lookup")
    assert len(times) == 4  # asked for at once, sent at most 2 per second
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.45
    limiter = client.get_workflow_handle("podium-limits-tool:lookup")
    assert (await limiter.describe()).workflow_type == "PodiumTokenLimiter"


def test_tool_mistakes_are_refused_at_compile_time_with_file_and_line(write_spec):
    bad = spec([], ["fx_rat", "send_quote"])
    bad["agents"]["tools"] = {
        **TOOLS,
        "send_quote": {"function": TOOLS["send_quote"]["function"], "side_effects": True},
        "ghost": {"function": "tests.support.nowhere:tool"},
        "broken": {"function": TOOLS["vat"]["function"], "parameters": {"type": "objekt"}},
    }
    bad["agents"]["agents"]["quoter"]["tools"] = ["fx_rat", "send_quote", "ghost", "broken"]
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(bad))
    text = str(info.value)
    assert "unknown tool 'fx_rat'" in text and "did you mean 'fx_rate'?" in text
    assert "tool 'send_quote' has side effects but neither approval: nor compensate:" in text
    assert "tool 'ghost': cannot read the arguments of 'tests.support.nowhere:tool'" in text
    assert "tool 'broken''s parameters is not a valid JSON Schema" in text
    assert "spec.yaml:" in text  # file and line


def test_tool_choice_is_a_mode_or_one_of_the_agents_tools(write_spec):
    plan = compile_spec(write_spec(spec([], ["fx_rate", "vat"], tool_choice="fx_rate")))
    assert plan.steps[0].agent.tool_choice == "fx_rate"
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec([], ["fx_rate", "vat"], tool_choice="fx_rat")))
    [problem] = info.value.problems
    assert problem.message == (
        "agent 'quoter': tool_choice: 'fx_rat' is neither auto, required, none nor one of its tools"
    )
    assert problem.hint == "did you mean 'fx_rate'?"
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec([], [], tool_choice="required")))
    [problem] = info.value.problems
    assert problem.message == "agent 'quoter' has tool_choice: required but no tools"


async def test_status_query_shows_the_calls(client, write_spec, tool_log):
    handle = await start_run(
        client,
        compile_spec(write_spec(spec([LOOKUP, ANSWER], ["fx_rate", "vat"]))),
        {"quote": "SGD"},
    )
    await handle.result()
    state = await handle.query("status", result_type=RunState)
    assert [c.tool for c in state.step("price").tool_calls] == ["fx_rate", "vat"]
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0
    assert "tools price: 2 turns — turn 1: fx_rate ok, vat ok" in out.getvalue()
    out = io.StringIO()
    assert await report.main(client, handle.id, "md", out=out) == 0
    text = out.getvalue()
    assert "## Tool calls" in text and "- `price`: 2 turns — turn 1 $0.0000 (" in text
    assert "+ tools $0.0100; turn 2 $0.0000" in text  # cost per turn: vat's price in turn 1
    assert "| `price` | 1 | fx_rate | ok |" in text
