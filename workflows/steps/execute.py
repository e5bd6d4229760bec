"""Running one plan node of any kind: condition, records, optional, errors.

Each kind has its executor module; they all call back into ``execute`` for the
steps nested in them, so conditions, optional steps and run-state records behave
the same at every depth.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from podium.activities.contracts import AgentConfig, FailureDetails
from podium.activities.error_types import RUN_FAILURES, RUN_STOPPING
from podium.activities.errors import UngatedSideEffect
from podium.activities.run_events import EventKind
from podium.workflows.frame import Frame
from podium.workflows.gates import verdict
from podium.workflows.kinds.base import Node, children, kind_of, tracked
from podium.workflows.metrics import observe_step
from podium.workflows.run_context import HandOver, RunContext, SagaEntry
from podium.workflows.state import BudgetState, StepState
from podium.workflows.steps.deadline import within_deadline
from podium.workflows.steps.escalation import resolve_failure
from podium.workflows.steps.guard_checks import escalation
from podium.workflows.steps.memory import remembering
from podium.workflows.steps.support import describe, evaluate_in, failure
from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
)


async def execute(node: Node, frame: Frame, ctx: RunContext) -> Any:
    """Run ``node``; record it (if tracked) in the run state; return its output."""
    record = ctx.find(node.id)
    scope = frame.data
    if node.when is not None and not evaluate_in(node.id, "when", node.when, scope):
        skip_unreached(node, ctx, f"its step {node.id!r} was skipped")
        return _finish(
            ctx,
            record,
            scope,
            node.id,
            "skipped",
            None,
            reason=f"condition {node.when!r} was false",
        )
    gate = ctx.gates.get(node.id)
    if gate is not None:  # a side effect the policy says must be approved first
        allowed, why = verdict(gate, scope["steps"])
        if not gate.approvals:
            _close(ctx, record, "failed")
            raise failure(
                f"step {node.id!r} has side effects and {why} (the catalog's policy: "
                "approve_side_effects); the run stops before the effect",
                UngatedSideEffect,
                step=node.id,
            )
        if not allowed:
            skip_unreached(node, ctx, f"its step {node.id!r} was skipped")
            return _finish(ctx, record, scope, node.id, "skipped", None, reason=why)
    resuming = record is not None and record.handed_over  # after a continue-as-new
    if record is not None:
        record.status = "running"
        record.handed_over = False
        if not resuming:
            record.started_at = workflow.now()
        ctx.state.current.append(node.id)
        ctx.events.publish("step.started", step=node.id, step_kind=node.kind, label=frame.label)
    step_frame = frame.owned_by(record or frame.owner)
    if node.budget is not None:  # a cap on everything inside this step
        cap = BudgetState(usd=node.budget.usd, tokens=node.budget.tokens)
        if record is not None:
            if resuming and record.budget is not None:
                cap = record.budget  # what it spent before the hand-over still counts
            record.budget = cap
        step_frame = step_frame.capped(node.id, cap)
    due = workflow.now() + timedelta(seconds=node.deadline.after_s) if node.deadline else None
    if record is not None and due is not None:
        if resuming and record.deadline_at is not None:
            due = record.deadline_at
        record.deadline_at = due
    while True:
        try:
            work = kind_of(node).execute(node, step_frame, ctx)
            if node.memory is not None and node.memory.write is not None:
                work = remembering(work, node, step_frame)  # the step's fact kept after it
            breached = resuming and record is not None and record.breached
            if node.deadline is not None and due is not None and not breached:
                done, output = await within_deadline(node.deadline, due, work, ctx, node.id, record)
                if done == "skipped":
                    return _finish(ctx, record, scope, node.id, "skipped", None, "deadline missed")
            else:  # (a breach handled before a hand-over is not handled again)
                output = await work
        except asyncio.CancelledError:
            _close(ctx, record, "cancelled")
            raise
        except HandOver:  # stopped between turns: pending again, resumed by the next run
            if record is not None:
                record.status, record.handed_over = "pending", True
                if node.id in ctx.state.current:
                    ctx.state.current.remove(node.id)
            raise
        except (ActivityError, ApplicationError, ChildWorkflowError) as exc:
            if isinstance(exc.cause, CancelledError) and _being_cancelled():
                _close(ctx, record, "cancelled")  # we cancelled it (e.g. a lost `any` race)
                raise asyncio.CancelledError() from None
            error_type, message = describe(exc)
            if record is not None:
                record.error_type, record.error = error_type, message
                record.attempts = _attempt(exc) or record.attempts
            guard_to = escalation(exc, error_type)  # a tripped guard that asks a person
            escalates = node.on_error == "escalate" or guard_to is not None
            if escalates and error_type not in RUN_STOPPING:
                try:
                    outcome, result = await resolve_failure(
                        node, frame, ctx, record, error_type, message, guard_to
                    )
                except asyncio.CancelledError:
                    _close(ctx, record, "cancelled")
                    raise
                except ApplicationError:  # aborted by a person
                    _close(ctx, record, "failed")
                    raise
                if outcome == "retry":
                    if isinstance(result, dict):  # edited inputs, for this step only
                        step_frame = step_frame.overriding(node.id, result)
                    if node.deadline is not None:  # a retried step gets its time again
                        due = workflow.now() + timedelta(seconds=node.deadline.after_s)
                        if record is not None:
                            record.deadline_at = due
                    continue
                return _finish(ctx, record, scope, node.id, outcome, result)
            return _failed(node, scope, ctx, record, exc, error_type, message)
        undo = getattr(node, "compensate", None)
        key = ""
        if undo is not None:  # undone in reverse order if the run fails
            key = f"{workflow.info().workflow_id}/{undo.id}/{workflow.uuid4().hex[:8]}"
        result = _finish(ctx, record, scope, node.id, "completed", output)
        if undo is not None:  # the undo reads the steps as they are now, not as a loop
            ctx.saga.append(SagaEntry(node, frame.snapshot(), key))  # or a later map item left them
        return result


def skip_unreached(node: Node, ctx: RunContext, reason: str) -> None:
    """Mark the never-started tracked steps inside ``node`` as skipped (nothing waits on them)."""
    for inner in tracked(children(node)):
        record = ctx.find(inner.id)
        if record is not None and record.status == "pending":
            record.status = "skipped"
            record.skipped_reason = reason
            ctx.finished += 1
            ctx.events.publish("step.skipped", step=inner.id, text=reason, status="skipped")


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _failed(
    node: Node,
    scope: dict[str, Any],
    ctx: RunContext,
    record: StepState | None,
    exc: BaseException,
    error_type: str,
    message: str,
) -> None:
    """Record a failure; return None for optional steps, else raise naming the step."""
    _close(ctx, record, "failed")
    if node.optional and error_type not in RUN_STOPPING:  # a run-level stop is never optional
        if record is not None:
            record.tolerated = True
        ctx.state.flags.append(
            f"optional step {node.id!r} failed ({error_type}: {message}); its output is null"
        )
        scope["steps"][node.id] = {"output": None, "status": "failed"}
        return None
    if error_type in WRAPPED and not isinstance(exc, ApplicationError):
        # e.g. a sub-workflow that failed its own way: keep its type and message
        raise failure(message, RUN_FAILURES[error_type], step=node.id) from None
    if error_type in WRAPPED or record is None:
        raise exc  # already names its step, or the enclosing step will name it
    who = getattr(node, "agent", None)
    agent = f" (agent {who.name!r})" if isinstance(who, AgentConfig) else ""
    raise failure(
        f"step {node.id!r}{agent} failed: {error_type}: {message}",
        step=node.id,
        error_type=error_type,
    ) from None


def _finish(
    ctx: RunContext,
    record: StepState | None,
    scope: dict[str, Any],
    step_id: str,
    status: str,
    output: Any,
    reason: str | None = None,
) -> Any:
    if record is not None:
        if record.status == "pending":
            record.started_at = workflow.now()
        record.output = output
        if status == "completed":
            record.error = record.error_type = None
        if reason:
            record.skipped_reason = reason
        _close(ctx, record, status)
    scope["steps"][step_id] = {"output": output, "status": status}
    return output


WRAPPED = frozenset(RUN_FAILURES) - {"JoinFailed", "NoRoute"}  # (Python helpers' own)
"""Failures that already name their step (or stop the run): passed on as they are."""


def _attempt(exc: BaseException) -> int:
    return FailureDetails.of(exc).attempt or 0


def _close(ctx: RunContext, record: StepState | None, status: str) -> None:
    if record is None:
        return
    record.status = status  # type: ignore[assignment]
    record.finished_at = workflow.now()
    ctx.finished += 1
    if record.started_at is not None:
        record.duration_ms = (record.finished_at - record.started_at).total_seconds() * 1000
        if status in ("completed", "failed"):
            observe_step(ctx.state.spec, record.id, record.kind, record.duration_ms / 1000)
    if record.id in ctx.state.current:
        ctx.state.current.remove(record.id)
    kind = CLOSED.get(status, "step.completed")
    described = record.error if kind == "step.failed" else record.skipped_reason
    ctx.events.publish(
        kind,
        step=record.id,
        text=described,
        attempt=record.attempts or None,
        status=status,
        output=record.output if kind == "step.completed" else None,
        error_type=record.error_type if kind == "step.failed" else None,
        duration_ms=record.duration_ms,
        cost_usd=record.cost_usd,
    )


CLOSED: dict[str, EventKind] = {
    "completed": "step.completed",
    "failed": "step.failed",
    "skipped": "step.skipped",
    "cancelled": "step.cancelled",
}
"""The event a step's closing status publishes (others — a person's outcome on an
escalated step — are completions)."""
