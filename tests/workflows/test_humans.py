"""People in the loop on the real dev server: approvals, escalation, hand-over, audit."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows import search_attributes as sa
from podium.workflows.humans import DecisionInput, DecisionRecord
from podium.workflows.state import RunResult, RunState
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError

from tests.support.polling import eventually
from tests.support.webhook import webhook_receiver

pytestmark = pytest.mark.usefixtures("worker")

OUT = {"type": "object", "required": ["score"], "properties": {"score": {"type": "integer"}}}
CATALOG = {
    "agents": {
        "scorer": {"model": "scripted", "output": OUT, "script": [{"output": {"score": 7}}]},
        "broken": {
            "model": "scripted",
            "output": OUT,
            "retry": {"max_attempts": 1},
            "faults": {
                "fail_times": 99,
                "error": "ProviderServerError",
                "message": "provider down",
            },
        },
        "picky": {"model": "function:tests.support.agents:picky", "retry": {"max_attempts": 1}},
    }
}
TEMPORAL = str(Path(sys.executable).parent / "temporal")


def approval(**extra) -> dict:
    spec = {
        "title": "Approve deal for {{ input.company }}",
        "details": "input",
        "approvers": ["deal-desk"],
    }
    return {"id": "signoff", "approval": {**spec, **extra}}


async def start(client, write_spec, steps, run_input=None, **extra) -> WorkflowHandle:
    spec = {"name": "humans", "agents": "agents.yaml", "steps": steps, **extra}
    return await start_run(
        client, compile_spec(write_spec(spec, CATALOG)), run_input or {"company": "Acme"}
    )


async def open_request(handle: WorkflowHandle, timeout: float = 20) -> RunState:
    async def probe() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    return await eventually(probe, "a request to open", timeout)


async def decide(handle, request_id, outcome, by, **kw) -> DecisionRecord:
    return await send_decision(
        handle, DecisionInput(request_id=request_id, outcome=outcome, by=by, **kw)
    )


async def refused(handle, request_id, outcome, by, **kw) -> str:
    """The validator's reason for refusing a decision."""
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await decide(handle, request_id, outcome, by, **kw)
    return info.value.cause.message


async def settled(handle: WorkflowHandle) -> int:
    """History length once the request's notification activity has finished."""

    async def probe() -> int | None:
        events = (await handle.fetch_history()).events
        notified = any(e.HasField("activity_task_completed_event_attributes") for e in events)
        if notified and events[-1].HasField("workflow_task_completed_event_attributes"):
            return len(events)
        return None

    return await eventually(probe, "the notification to finish", timeout=20)


async def test_approve_records_who_when_and_why(client, write_spec):
    handle = await start(client, write_spec, [approval()])
    state = await open_request(handle)
    [request] = state.open_requests()
    assert request.id == "signoff-1" and request.title == "Approve deal for Acme"
    assert request.details == {"company": "Acme"} and request.approvers == ["deal-desk"]
    assert state.status == "waiting"
    record = await decide(handle, "signoff-1", "approve", "Deal-Desk", comment="fine")
    assert record.outcome == "approve" and record.channel == "update"
    result: RunResult = await handle.result()
    assert result.output["approved"] is True and result.output["by"] == "Deal-Desk"
    assert result.output["comment"] == "fine"
    done = result.state.requests[0]
    assert done.status == "decided" and done.decision.by == "Deal-Desk"


async def test_reject(client, write_spec):
    handle = await start(client, write_spec, [approval()])
    await open_request(handle)
    await decide(handle, "signoff-1", "reject", "deal-desk", comment="too risky")
    result = await handle.result()
    assert result.output["outcome"] == "rejected" and result.output["comment"] == "too risky"


async def test_validator_refuses_bad_decisions_before_history(client, write_spec):
    handle = await start(client, write_spec, [approval()])
    await open_request(handle)
    events_before = await settled(handle)
    cases = [
        (
            ("signoff-1", "approve", "mallory"),
            "'mallory' may not decide 'signoff-1'; it waits on deal-desk",
        ),
        (("nope-1", "approve", "deal-desk"), "unknown request 'nope-1'; open requests: signoff-1"),
        (("signoff-1", "skip", "deal-desk"), "'skip' is not a decision for a approval request"),
    ]
    for args, reason in cases:
        assert reason in await refused(handle, *args)
    assert len((await handle.fetch_history()).events) == events_before
    await decide(handle, "signoff-1", "approve", "deal-desk")
    await handle.result()
    with pytest.raises(RPCError, match="completed"):
        await decide(handle, "signoff-1", "reject", "deal-desk")


async def test_already_decided_request_is_refused(client, write_spec):
    steps = [approval(), {"id": "second", "approval": {"title": "again", "approvers": ["cfo"]}}]
    handle = await start(client, write_spec, steps)
    await open_request(handle)
    await decide(handle, "signoff-1", "approve", "deal-desk")
    assert "already closed (approve by deal-desk" in await refused(
        handle, "signoff-1", "reject", "deal-desk"
    )
    await decide(handle, "second-1", "approve", "cfo")
    await handle.result()


async def test_escalates_to_l2_then_decides_by_default(client, write_spec):
    step = approval(escalate=[{"to": ["cfo"], "after": "1s"}], timeout="1s", on_timeout="reject")
    result = await (await start(client, write_spec, [step])).result()
    assert result.output["outcome"] == "rejected" and result.output["by"] == "podium (timeout)"
    request = result.state.requests[0]
    assert request.status == "timed_out" and request.level == 1 and request.approvers == ["cfo"]
    assert "escalated → cfo" in request.history[1]


async def test_escalated_request_waits_on_the_new_level(client, write_spec):
    step = approval(escalate=[{"to": ["cfo"], "after": "1s"}])
    handle = await start(client, write_spec, [step])

    async def escalated() -> bool:
        state = await handle.query("status", result_type=RunState)
        return state.requests[0].approvers == ["cfo"]

    await eventually(escalated, "the request to wait on cfo", timeout=20)
    assert "it waits on cfo" in await refused(handle, "signoff-1", "approve", "deal-desk")
    await decide(handle, "signoff-1", "approve", "cfo")
    result = await handle.result()
    assert result.output["by"] == "cfo" and result.state.requests[0].decision.level == 1


async def test_signal_via_the_temporal_cli_and_a_malformed_one_is_recorded(
    client, write_spec, address
):
    handle = await start(client, write_spec, [approval()])
    await open_request(handle)

    async def signal(payload: dict) -> None:
        proc = await asyncio.create_subprocess_exec(
            TEMPORAL,
            "workflow",
            "signal",
            "--address",
            address,
            "--workflow-id",
            handle.id,
            "--name",
            "decision",
            "--input",
            json.dumps(payload),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()

    await signal({"request_id": "signoff-1", "outcome": "maybe", "by": "deal-desk"})
    await signal({"request_id": "signoff-1", "outcome": "approve", "by": "intruder"})
    await signal(
        {"request_id": "signoff-1", "outcome": "approve", "by": "deal-desk", "comment": "cli"}
    )
    result = await handle.result()
    assert result.output["channel"] == "signal" and result.output["comment"] == "cli"
    reasons = [r.reason for r in result.state.rejected_signals]
    assert any("malformed decision" in r and "outcome" in r for r in reasons)
    assert any("'intruder' may not decide" in r for r in reasons)


async def test_failed_step_escalates_and_a_person_supplies_the_output(client, write_spec):
    steps = [
        {"id": "score", "agent": "broken", "on_error": "escalate", "escalate_to": ["ops"]},
        {"id": "use", "agent": "scorer", "with": {"prev": "steps.score.output"}},
    ]
    handle = await start(client, write_spec, steps)
    state = await open_request(handle)
    [request] = state.open_requests()
    assert request.kind == "failure" and "provider down" in request.failure
    assert state.step("score").error_type == "ProviderServerError"
    reason = await refused(handle, request.id, "supply", "ops", output={"score": "high"})
    assert (
        "does not match the step's output schema: score: 'high' is not of type 'integer'" in reason
    )
    await decide(handle, request.id, "supply", "ops", output={"score": 3})
    result = await handle.result()
    assert result.state.step("score").output == {"score": 3}
    assert result.state.step("score").status == "completed"
    assert any("supplied by hand by ops" in f for f in result.state.flags)


async def test_retry_with_edited_inputs_skip_and_abort(client, write_spec):
    steps = [{"id": "p", "agent": "picky", "with": {"x": "'bad'"}, "on_error": "escalate"}]
    handle = await start(client, write_spec, steps)
    await open_request(handle)
    await decide(handle, "p-1", "retry", "ops")  # same inputs: fails again → p-2

    async def reopened() -> bool:
        state = await handle.query("status", result_type=RunState)
        return bool(state.open_requests()) and len(state.requests) >= 2

    await eventually(reopened, "the second request (p-2) to open", timeout=20)
    await decide(handle, "p-2", "retry", "ops", inputs={"x": "good"})
    result = await handle.result()
    assert result.output == {"ok": True, "x": "good"}
    assert [r.id for r in result.state.requests] == ["p-1", "p-2"]

    skipped = await start(client, write_spec, steps)
    await open_request(skipped)
    await decide(skipped, "p-1", "skip", "ops")
    state = (await skipped.result()).state
    assert (
        state.step("p").status == "skipped" and "skipped by ops" in state.step("p").skipped_reason
    )

    aborted = await start(client, write_spec, steps)
    await open_request(aborted)
    await decide(aborted, "p-1", "abort", "ops", comment="vendor gone")
    with pytest.raises(WorkflowFailureError) as info:
        await aborted.result()
    assert "run aborted by ops at step 'p'" in info.value.cause.message
    assert "vendor gone" in info.value.cause.message


async def test_search_attributes_and_webhooks_follow_the_request(client, write_spec):
    with webhook_receiver() as (url, received), webhook_receiver(status=500) as (bad_url, _):
        handle = await start(client, write_spec, [approval()], notify=[url, bad_url])
        await open_request(handle)
        query = (
            f"WorkflowId = '{handle.id}' AND PodiumNeedsHuman = true "
            "AND PodiumWaitingOn = 'deal-desk'"
        )

        async def found(query: str) -> bool:
            return bool([w async for w in client.list_workflows(query)])

        await eventually(lambda: found(query), "the waiting run by its search attributes", 15)

        async def called() -> list:
            return received

        await eventually(called, "the webhook call", 15)
        assert (
            received[0]["event"] == "request.opened" and received[0]["request"]["id"] == "signoff-1"
        )
        assert received[0]["run_id"] == handle.id
        await decide(handle, "signoff-1", "approve", "deal-desk")
        result = await handle.result()  # the failing webhook did not block the run
        assert result.output["approved"]
    done = f"WorkflowId = '{handle.id}' AND PodiumNeedsHuman = false AND PodiumStatus = 'completed'"
    await eventually(lambda: found(done), "the completed run by its search attributes", 15)


async def test_an_approval_that_loses_a_race_is_closed_not_left_open(client, write_spec):
    steps = [
        {
            "id": "race",
            "join": "any",
            "parallel": [
                {"id": "auto", "agent": "scorer"},
                {"id": "manual", "approval": {"title": "Approve by hand", "approvers": ["desk"]}},
            ],
        }
    ]
    result = await (await start(client, write_spec, steps)).result()
    assert result.output["auto"] == {"score": 7}
    assert result.state.requests[0].status == "cancelled" and not result.state.open_requests()
    assert result.state.status == "completed"


async def test_on_timeout_fail_closes_the_request(client, write_spec):
    step = approval(timeout="1s", on_timeout="fail")
    handle = await start(client, write_spec, [step])
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert "got no decision in time" in info.value.cause.message
    state = await handle.query("status", result_type=RunState)
    assert state.requests[0].status == "timed_out" and not state.open_requests()


async def test_abort_is_not_swallowed_by_an_optional_step(client, write_spec):
    steps = [
        {
            "id": "p",
            "agent": "picky",
            "with": {"x": "'bad'"},
            "on_error": "escalate",
            "optional": True,
        },
        {"id": "after", "agent": "scorer"},
    ]
    handle = await start(client, write_spec, steps)
    await open_request(handle)
    await decide(handle, "p-1", "abort", "ops")
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert "run aborted by ops" in info.value.cause.message
    state = await handle.query("status", result_type=RunState)
    assert state.step("p").status == "failed" and state.step("after").status == "pending"


async def test_a_run_cancelled_while_it_waits_for_a_person_reads_cancelled(client, write_spec):
    spec = {
        "name": "cancel_waiting",
        "agents": "agents.yaml",
        "steps": [{"id": "signoff", "approval": {"title": "Sign", "approvers": ["bea"]}}],
    }
    handle = await start_run(client, compile_spec(write_spec(spec, CATALOG)), {})
    await open_request(handle, timeout=30)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("status", result_type=RunState)
    assert state.status == "cancelled" and not state.open_requests()
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.STATUS) == "cancelled"
