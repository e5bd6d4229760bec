"""Tools beyond one process: an HTTP tool with its key and retries, an OpenAI-compatible
model driving the loop over HTTP, a worker killed mid loop (no completed tool call made
again), and side effects undone with their compensating tools (also across a
continue-as-new hand-over). The loop's own behaviour is in test_tools.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

from tests.support.tool_specs import calls, spec

pytestmark = pytest.mark.usefixtures("worker")


async def test_an_http_tool_gets_its_key_auth_and_retries_what_retrying_fixes(
    client, write_spec, monkeypatch
):
    from tests.support.tool_server import tool_server

    monkeypatch.setenv("HOLIDAYS_TOKEN", "s3cret-token")
    with tool_server() as api:
        api.answers = [
            (503, {"error": "busy"}),
            (200, {"holidays": ["2026-12-05"]}),
            (404, {"error": "no such country"}),
        ]
        tools = {
            "holidays": {
                "http": {
                    "method": "POST",
                    "url": api.url + "/holidays/{country}",
                    "auth_env": "HOLIDAYS_TOKEN",
                },
                "parameters": {
                    "type": "object",
                    "required": ["country"],
                    "properties": {"country": {"type": "string"}, "year": {"type": "integer"}},
                },
                "retry": {"max_attempts": 3, "initial_interval": "100ms"},
            }
        }
        first = {
            "when": "turn == `1`",
            "tool_calls": [{"name": "holidays", "arguments": {"country": "TH", "year": 2026}}],
        }
        second = {
            "when": "turn == `2`",
            "tool_calls": [{"name": "holidays", "arguments": {"country": "XX"}}],
        }
        answer = {"output": {"first": "{{ tool_results.holidays }}"}}
        body = spec([first, second, answer], ["holidays"])
        body["agents"]["tools"] = tools
        handle = await start_run(client, compile_spec(write_spec(body)), {})
        result = await handle.result()
    calls_made = result.state.step("price").tool_calls
    assert [(c.tool, c.status) for c in calls_made] == [("holidays", "ok"), ("holidays", "error")]
    assert "HTTP 404" in (calls_made[1].error or "")  # a 4xx is told to the model, not retried
    th = [r for r in api.requests if r["path"] == "/holidays/TH"]
    assert len(th) == 2  # the 503 was retried
    assert (
        th[0]["headers"]["idempotency-key"]
        == th[1]["headers"]["idempotency-key"]
        == calls_made[0].key
    )
    assert calls_made[0].key.startswith(f"{handle.id}/price/") and calls_made[0].key.endswith(
        "/1/0"
    )
    assert th[0]["headers"]["authorization"] == "Bearer s3cret-token"
    assert th[0]["json"] == {"year": 2026}  # the path parameter left the body
    history = json.dumps([str(e) for e in (await handle.fetch_history()).events])
    assert "s3cret-token" not in history


async def test_an_openai_compatible_model_drives_the_loop_over_http(client, write_spec, tool_log):
    """The Chat Completions wire format: tools offered, tool_calls read, results sent back
    as tool messages, no tools on the last turn."""
    from tests.support.fault_server import fault_server

    with fault_server(answer={"rate": 35.2}) as llm:
        llm.tool_turns = [
            [{"name": "fx_rate", "arguments": {"base": "USD", "quote": "THB"}}],
        ]
        body = spec([], ["fx_rate"], max_turns=3)
        body["agents"]["providers"] = {"mock": {"base_url": llm.url, "circuit": False}}
        body["agents"]["agents"]["quoter"]["model"] = "mock:fault-model"
        body["agents"]["agents"]["quoter"].pop("script")
        handle = await start_run(client, compile_spec(write_spec(body), offline=False), {})
        result = await handle.result()
    assert json.loads(result.output) == {"rate": 35.2}  # (no output schema: text)
    first, second = llm.bodies
    assert first["tools"][0]["function"]["name"] == "fx_rate"
    assert first["tools"][0]["function"]["parameters"]["required"] == ["base", "quote"]
    [tool_message] = [m for m in second["messages"] if m["role"] == "tool"]
    assert tool_message["tool_call_id"] == "call_0_0"
    assert json.loads(tool_message["content"])["rate"] == 35.2
    assert re.fullmatch(rf"{handle.id}/price/[0-9a-f]{{8}}/1/0", calls(tool_log)[0]["key"])


@pytest.mark.slow
async def test_a_worker_killed_mid_loop_repeats_no_completed_tool_call(
    isolated_client, address, write_spec, tmp_path
):
    import signal

    from podium.starters.devserver import stop_process

    from tests.conftest import ISOLATED_NAMESPACE
    from tests.support.worker_process import start_worker, wait_for

    log, worker_log = tmp_path / "tools.log", tmp_path / "worker.log"
    tools = {"lookup": {"function": "tests.support.tools:slow_lookup"}}
    script = [
        {
            "when": f"turn == `{n}`",
            "tool_calls": [{"name": "lookup", "arguments": {"topic": f"t{n}", "seconds": 0.4}}],
        }
        for n in range(1, 7)
    ] + [{"output": "done"}]
    body = spec(script, ["lookup"], max_turns=8)
    body["agents"]["tools"] = tools
    plan = compile_spec(write_spec(body))
    env = {"PODIUM_TEST_TOOL_LOG": str(log)}
    worker = start_worker(address, worker_log, ISOLATED_NAMESPACE, env=env)
    handle = await start_run(isolated_client, plan, {})
    kills: list[float] = []
    try:
        for done in (2, 4):  # kill -9 while the next call is in flight
            await wait_for(lambda done=done: len(calls(log)) >= done, 60, f"{done} tool calls")
            await asyncio.sleep(0.1)  # the next call has started
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            kills.append(time.time())
            worker = start_worker(address, worker_log, ISOLATED_NAMESPACE, env=env)
        result = await asyncio.wait_for(handle.result(), 120)
    finally:
        stop_process(worker)
    logged = calls(log)
    assert sorted({c["topic"] for c in logged}) == [f"t{n}" for n in range(1, 7)]
    for topic in {c["topic"] for c in logged}:
        times = sorted(c["at"] for c in logged if c["topic"] == topic)
        if len(times) > 1:  # only a call the kill cut off before its worker reported it
            assert any(0 <= kill - times[0] < 0.3 for kill in kills), (topic, times, kills)
    assert len({c["key"] for c in logged}) == 6  # one key per call, the same on a rerun
    assert result.output == "done" and result.state.step("price").turns == 7


async def test_a_completed_side_effect_is_undone_with_its_compensating_tool_when_the_run_fails(
    client, write_spec, tool_log
):
    tools = {
        "reserve": {
            "function": "tests.support.tools:reserve_fx",
            "side_effects": True,
            "compensate": "release",
        },
        "release": {"function": "tests.support.tools:release_fx", "side_effects": True},
    }
    hold = {
        "when": "turn == `1`",
        "tool_calls": [{"name": "reserve", "arguments": {"currency": "THB", "amount": 5000}}],
    }
    body = spec([hold, {"output": "held"}], ["reserve"])
    body["agents"]["tools"] = tools
    body["agents"]["agents"]["breaker"] = {"model": "scripted", "script": [{"fail": "no"}]}
    body["steps"].append({"id": "later", "agent": "breaker"})
    handle = await start_run(client, compile_spec(write_spec(body)), {})
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    logged = calls(tool_log)
    assert [c["tool"] for c in logged] == ["reserve_fx", "release_fx"]
    assert logged[1]["amount"] == 5000 and logged[1]["currency"] == "THB"  # same arguments
    assert logged[1]["key"] == logged[0]["key"] + "/undo"
    state = await handle.query("status", result_type=RunState)
    [undo] = state.compensations
    assert (undo.step, undo.agent, undo.status) == ("price", "tool:release", "completed")


def test_a_tool_undo_crosses_a_continue_as_new_hand_over():
    from podium.activities.tool_contracts import ToolSpec, ToolUndo
    from podium.workflows.frame import Frame
    from podium.workflows.run_context import RunContext, SagaEntry
    from podium.workflows.run_input import RunCarry

    undo = ToolUndo(
        step="price",
        agent="quoter",
        tool=ToolSpec(name="release", kind="function", function="m:f"),
        undoes="reserve",
        arguments={"amount": 5},
    )
    ctx = RunContext(RunState(spec="s"))
    ctx.saga.append(SagaEntry(undo, Frame.of_run({}), "run/price/1/0/undo"))
    carried = RunCarry.model_validate_json(RunCarry.of(ctx, Frame.of_run({})).model_dump_json())
    [entry] = carried.saga_entries()
    assert entry.node == undo and entry.key == "run/price/1/0/undo"


async def test_an_approver_sees_the_exact_call_and_what_the_model_said_beside_it(
    client, write_spec, tool_log
):
    """The request carries the call (tool, arguments, turn, the model's text); the Web
    UI's current details and the request's timer show it; approving sends exactly it."""
    from podium.starters.humans import send_decision
    from podium.workflows.humans import AskedToolCall, ChainLevel, DecisionInput
    from temporalio.api.sdk.v1 import WorkflowMetadata

    from tests.support.fault_server import fault_server
    from tests.support.scenario_kit import open_request

    arguments = {"customer": "บริษัท โกปี้ เพย์", "total": 420.5}
    reason = "VAT and the rate are in; sending the quote to the customer."
    with fault_server(answer={"done": True}, tool_text=reason) as llm:
        llm.tool_turns = [[{"name": "send_quote", "arguments": arguments}]]
        body = spec([], ["send_quote"], max_turns=3)
        body["agents"]["tools"]["send_quote"]["approval"] = {
            "approvers": ["deal-desk"],
            "timeout": "1h",
        }
        body["agents"]["providers"] = {"mock": {"base_url": llm.url, "circuit": False}}
        body["agents"]["agents"]["quoter"]["model"] = "mock:fault-model"
        body["agents"]["agents"]["quoter"].pop("script")
        handle = await start_run(client, compile_spec(write_spec(body), offline=False), {})
        request_id = await open_request(handle)
        [request] = (await handle.query("status", result_type=RunState)).open_requests()
        assert request.tool_call == AskedToolCall(
            agent="quoter", tool="send_quote", arguments=arguments, reason=reason, turn=1
        )
        assert request.details == arguments  # as before, for webhooks and older readers
        assert request.chain == [ChainLevel(approvers=["deal-desk"], wait_s=3600)]
        assert request.on_timeout == "reject"

        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        shown = json.dumps(arguments, ensure_ascii=False, indent=2)
        assert (
            f"**{request_id}**: quoter asks to call `send_quote` with" in metadata.current_details
        )
        assert f"```json\n{shown}\n```" in metadata.current_details
        assert f"its reason: {reason}" in metadata.current_details
        timers = [
            json.loads(e.user_metadata.summary.data)
            for e in (await handle.fetch_history()).events
            if e.HasField("timer_started_event_attributes")
        ]
        one_line = json.dumps(arguments, ensure_ascii=False)
        assert f"{request_id}: waiting for deal-desk — send_quote {one_line}" in timers

        decision = DecisionInput(request_id=request_id, outcome="approve", by="deal-desk")
        await send_decision(handle, decision)
        await handle.result()
    [sent] = calls(tool_log)
    assert (sent["customer"], sent["total"]) == (arguments["customer"], arguments["total"])
