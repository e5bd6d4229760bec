"""Opening human requests, escalating them, waiting for decisions — inside a workflow."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from podium.activities.notify import Notification, notify
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.workflows.humans import (
    AskedToolCall,
    ChainLevel,
    DecisionRecord,
    HumanRequest,
    RequestKind,
)
from podium.workflows.metrics import observe_human_wait
from podium.workflows.run_context import RunContext
from temporalio import workflow
from temporalio.common import RetryPolicy

Level = tuple[list[str], float | None]
"""(who decides, how long they have; None = no limit)."""


def open_request(
    ctx: RunContext,
    kind: RequestKind,
    step: str,
    title: str,
    details: Any = None,
    failure: str | None = None,
    output_schema: dict[str, Any] | None = None,
    *,
    tool_call: AskedToolCall | None = None,
    on_timeout: str | None = None,
) -> HumanRequest:
    """Add a request with a stable id ``<step>-<n>`` to the run state (``on_timeout``:
    what happens if the last level's time runs out; see ``HumanRequest``)."""
    n = 1 + sum(1 for r in ctx.state.requests if r.step == step)
    request = HumanRequest(
        id=f"{step}-{n}",
        kind=kind,
        step=step,
        title=title,
        details=details,
        opened_at=workflow.now(),
        failure=failure,
        output_schema=output_schema,
        tool_call=tool_call,
        on_timeout=on_timeout,
    )
    ctx.state.requests.append(request)
    return request


async def wait_for_decision(
    ctx: RunContext, request: HumanRequest, levels: list[Level]
) -> DecisionRecord | None:
    """Walk the escalation chain until someone decides; None if the last level times out."""
    request.chain = [ChainLevel(approvers=list(who), wait_s=wait_s) for who, wait_s in levels]
    if levels and levels[-1][1] is None:  # the last level waits for ever: no default
        request.on_timeout = None
    for level, (who, wait_s) in enumerate(levels):
        request.approvers = list(who)
        request.level = level
        request.deadline = workflow.now() + timedelta(seconds=wait_s) if wait_s else None
        event = "request.opened" if level == 0 else "request.escalated"
        request.history.append(
            f"{workflow.now():%Y-%m-%dT%H:%M:%SZ} {event.split('.')[1]} → "
            f"{', '.join(who) or 'anyone'}"
        )
        send_notification(ctx, event, request)
        ctx.people.changed()
        try:
            await workflow.wait_condition(
                lambda: request.status != "open",
                timeout=timedelta(seconds=wait_s) if wait_s else None,
                timeout_summary=_waiting_summary(request, who),
            )
        except TimeoutError:
            if request.status == "open":
                continue  # nobody decided in time: next level
        except asyncio.CancelledError:  # the step was cancelled (lost race, failing run)
            if request.status == "open":
                request.status = "cancelled"
                request.history.append(f"{workflow.now():%Y-%m-%dT%H:%M:%SZ} cancelled")
            ctx.people.changed()
            raise
        ctx.people.changed()  # decided (a decision that raced the deadline still wins)
        _waited(ctx, request)
        return request.decision
    _waited(ctx, request)
    return None


def _waiting_summary(request: HumanRequest, who: list[str]) -> str:
    """The label of a request's timer in the Web UI; a tool call's shows the call."""
    summary = f"{request.id}: waiting for {', '.join(who) or 'anyone'}"
    return f"{summary} — {request.asks(150)}" if request.tool_call is not None else summary


def _waited(ctx: RunContext, request: HumanRequest) -> None:
    seconds = (workflow.now() - request.opened_at).total_seconds()
    observe_human_wait(ctx.state.spec, request.kind, seconds)


def close_by_timeout(ctx: RunContext, request: HumanRequest, outcome: str) -> DecisionRecord:
    """Record the default decision taken when nobody decided in time."""
    request.status = "timed_out"
    request.decision = DecisionRecord(
        request_id=request.id,
        outcome=outcome,
        by="podium (timeout)",
        at=workflow.now(),
        channel="timeout",
        level=request.level,
        comment="no decision before the deadline",
    )
    ctx.people.changed()
    return request.decision


def send_notification(ctx: RunContext, event: str, request: HumanRequest) -> None:
    """Tell the webhooks about a request, without waiting."""
    payload = request.model_dump(mode="json", exclude={"output_schema", "history"})
    send_event(ctx, event, payload, request.id)


def send_event(ctx: RunContext, event: str, payload: dict[str, Any], about: str) -> None:
    """Tell the webhooks, without waiting: a failing webhook never blocks the run."""
    message = Notification(
        event=event,
        run_id=workflow.info().workflow_id,
        spec=ctx.state.spec,
        request=payload,
        urls=ctx.people.notify_urls,
    )
    handle = workflow.start_activity(
        notify,
        message,
        task_queue=ORCHESTRATION_QUEUE,
        start_to_close_timeout=timedelta(seconds=15),
        retry_policy=RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1)),
        summary=f"notify: {event.split('.')[1]} {about}",
    )

    def done(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            ctx.state.flags.append(f"notification '{event}' for {about} failed after retries")

    handle.add_done_callback(done)
    ctx.people.background.append(handle)
