"""Deadlines (SLAs) of steps and runs: fail, notify and go on, or ask a person."""

from __future__ import annotations

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunState
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError

from tests.support.polling import eventually
from tests.support.webhook import webhook_receiver

pytestmark = pytest.mark.usefixtures("worker")

CATALOG = {
    "agents": {
        "quick": {"model": "scripted", "script": [{"output": "quick answer"}]},
        "slow": {
            "model": "scripted",
            "latency": "3s",
            "heartbeat": "1s",
            "script": [{"output": "slow answer"}],
        },
        "maker": {
            "model": "scripted",
            "side_effects": True,
            "script": [{"output": {"id": "THING-1"}}],
        },
        "unmaker": {"model": "scripted", "script": [{"output": {"undone": True}}]},
    }
}


def spec(*steps: dict, **top: object) -> dict:
    return {"name": "sla", "agents": "agents.yaml", "steps": list(steps), **top}


async def wait_for_request(handle) -> RunState:
    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    return await eventually(asked, "a request to open", timeout=30)


async def test_a_step_past_its_deadline_fails_and_its_call_is_cancelled(client, write_spec):
    path = write_spec(spec({"id": "late", "agent": "slow", "deadline": "1s"}), CATALOG)
    handle = await start_run(client, compile_spec(path), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert "step 'late' missed its deadline of 1s" in info.value.cause.message
    kinds = [e.event_type for e in (await handle.fetch_history()).events]
    # the deadline's timer fired, then the run asked to cancel the 3 s call and failed
    # without waiting for it: the call never completed
    fired = kinds.index(EventType.EVENT_TYPE_TIMER_FIRED)
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in kinds[fired:]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in kinds, "waited for the call"
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    state = await handle.query("status", result_type=RunState)
    late = state.steps[0]
    assert (late.status, late.error_type, late.breached) == (
        "failed",
        "StepDeadlineExceeded",
        True,
    )
    assert late.deadline_at is not None and late.started_at is not None
    assert (late.deadline_at - late.started_at).total_seconds() == pytest.approx(1, abs=0.01)


async def test_notify_tells_the_webhooks_and_the_step_finishes(client, write_spec):
    with webhook_receiver() as (url, received):
        step = {"id": "late", "agent": "slow", "deadline": {"after": "1s", "on_breach": "notify"}}
        path = write_spec(spec(step, {"id": "next", "agent": "quick"}, notify=[url]), CATALOG)
        result = await (await start_run(client, compile_spec(path), {})).result()
        assert result.state.steps[0].output == "slow answer"
        assert result.state.steps[0].breached and result.state.steps[1].status == "completed"
        assert any("missed its deadline (1s); on_breach: notify" in f for f in result.state.flags)

        async def called() -> list:
            return received

        await eventually(called, "the webhook call", timeout=30)
    assert received[0]["event"] == "deadline.breached"
    assert received[0]["request"] == {"step": "late", "deadline": "1s", "on_breach": "notify"}


async def test_escalate_asks_a_person_who_skips_the_late_step(client, write_spec):
    late = {
        "id": "late",
        "agent": "slow",
        "deadline": {"after": "500ms", "on_breach": "escalate", "escalate_to": ["ops"]},
    }
    path = write_spec(spec(late, {"id": "next", "agent": "quick"}), CATALOG)
    handle = await start_run(client, compile_spec(path), {})
    state = await wait_for_request(handle)
    request = state.open_requests()[0]
    assert (request.id, request.kind, request.approvers) == ("late-1", "deadline", ["ops"])
    assert request.title == "Step 'late' missed its deadline (500ms)"
    await handle.execute_update(
        "decide", DecisionInput(request_id="late-1", outcome="skip", by="ops")
    )
    result = await handle.result()
    steps = {s.id: s for s in result.state.steps}
    assert steps["late"].status == "skipped" and steps["late"].output is None
    assert steps["next"].status == "completed"
    assert any(
        "skipped by ops (update) after missing its deadline" in f for f in result.state.flags
    )


async def test_a_request_is_withdrawn_when_the_step_finishes_first(client, write_spec):
    late = {"id": "late", "agent": "slow", "deadline": {"after": "1s", "on_breach": "escalate"}}
    result = await (
        await start_run(client, compile_spec(write_spec(spec(late), CATALOG)), {})
    ).result()
    assert result.state.steps[0].output == "slow answer"
    request = result.state.requests[0]
    assert request.status == "cancelled" and "withdrawn" in request.history[-1]


async def test_a_run_past_its_deadline_fails_and_compensates(client, write_spec):
    steps = (
        {
            "id": "make",
            "agent": "maker",
            "compensate": {"agent": "unmaker", "with": {"id": "steps.make.output.id"}},
        },
        {"id": "late", "agent": "slow"},
    )
    path = write_spec(spec(*steps, deadline="1s"), CATALOG)
    handle = await start_run(client, compile_spec(path), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert info.value.cause.type == "DeadlineExceeded"
    assert info.value.cause.message == "the run missed its deadline of 1s"
    state = await handle.query("status", result_type=RunState)
    assert state.breached and state.status == "failed"
    assert [(c.step, c.status) for c in state.compensations] == [("make", "completed")]
    assert state.find("late").status == "cancelled"


async def test_a_run_deadline_escalation_cannot_skip_but_may_continue(client, write_spec):
    path = write_spec(
        spec({"id": "late", "agent": "slow"}, deadline={"after": "1s", "on_breach": "escalate"}),
        CATALOG,
    )
    handle = await start_run(client, compile_spec(path), {})
    state = await wait_for_request(handle)
    assert state.open_requests()[0].id == "run-1"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "decide", DecisionInput(request_id="run-1", outcome="skip", by="me")
        )
    assert "cannot be skipped; use continue or abort" in str(refused.value.cause)
    await handle.execute_update(
        "decide", DecisionInput(request_id="run-1", outcome="continue", by="me")
    )
    result = await handle.result()
    assert result.output == "slow answer" and result.state.breached


def test_the_step_id_run_is_reserved(write_spec):
    from podium.compiler.problems import CompileError

    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec({"id": "run", "agent": "quick"}), CATALOG))
    assert "step id 'run' is reserved" in str(info.value)
