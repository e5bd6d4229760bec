"""Running one plan node of any kind: condition, records, optional, errors.

Each kind has its executor module; they all call back into ``execute`` for the
steps nested in them, so conditions, optional steps and run-state records behave
the same at every depth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TimeoutError,
)

with workflow.unsafe.imports_passed_through():
    from podium.activities.contracts import AgentConfig, AgentResult, FailureDetails, Usage
    from podium.activities.errors import (
        RUN_FAILURES,
        RUN_STOPPING,
        ExpressionFailed,
        RunFailure,
        StepFailed,
    )
    from podium.workflows.expressions import evaluate
    from podium.workflows.frame import Frame
    from podium.workflows.kinds.base import Node, children, kind_of, tracked
    from podium.workflows.state import AgentTotals, BudgetState, RunState, StepState, merge_agents


@dataclass
class Ctx:
    """What executors share: the run state (and how to charge spend to it)."""

    state: RunState
    finished: int = 0
    """Count of tracked steps finished so far (the scheduler waits on it)."""
    notify_urls: list[str] = field(default_factory=list)
    background: list[Any] = field(default_factory=list)
    """Fire-and-forget activities (notifications) kept referenced."""
    on_humans_changed: Callable[[], None] | None = None
    saga: list[tuple[Any, Frame, str]] = field(default_factory=list)
    """Completed steps with a compensation, in completion order, with their frame and the
    undo's idempotency key (one per completed step: map items each get their own)."""
    budget_request: Any = None
    """The open "budget exceeded" request, shared by calls that hit the limit together."""
    budget_escalate_to: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._records = {step.id: step for step in self.state.steps}

    def humans_changed(self) -> None:
        """Human requests opened, escalated or closed: refresh search attributes."""
        if self.on_humans_changed is not None:
            self.on_humans_changed()

    def find(self, step_id: str) -> StepState | None:
        """The tracked record of ``step_id`` (None for untracked template steps)."""
        return self._records.get(step_id)

    def charge(self, owner: StepState | None, usage: Usage, cost_usd: float) -> None:
        """Add spend to the run's totals and to the tracked step that owns the call."""
        for target in (self.state, owner):
            if target is None:
                continue
            target.usage = Usage(
                input_tokens=target.usage.input_tokens + usage.input_tokens,
                output_tokens=target.usage.output_tokens + usage.output_tokens,
            )
            target.cost_usd = round(target.cost_usd + cost_usd, 8)

    def charge_result(self, owner: StepState | None, result: AgentResult, agent: str) -> None:
        """Charge one agent call (to the run, the owning step and the agent's totals)."""
        self.charge(owner, result.usage, result.cost_usd)
        one = AgentTotals(
            calls=1,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            cost_usd=result.cost_usd,
            latencies_ms=[result.latency_ms],
        )
        merge_agents(self.state.agents, {agent: one})

    def note_failure(
        self, agent: str, error_type: str, billed: Usage | None = None, cost_usd: float = 0.0
    ) -> None:
        """Count a call that failed for good against its agent (with what it was billed,
        e.g. for an answer that failed its schema)."""
        one = AgentTotals(failed=1, errors={error_type: 1}, cost_usd=cost_usd)
        if billed is not None:
            one.input_tokens, one.output_tokens = billed.input_tokens, billed.output_tokens
        merge_agents(self.state.agents, {agent: one})


def failure(message: str, kind: type[RunFailure] = StepFailed, **details: Any) -> ApplicationError:
    """A non-retryable run failure of class ``kind`` (a workflow never retries a broken
    step by itself); ``details`` are ``FailureDetails`` fields."""
    return kind.failure(message, **details)


def describe(exc: BaseException) -> tuple[str, str]:
    """``(error type, message)`` of a failure from an activity, child or step."""
    cause: BaseException = exc
    while isinstance(cause, ActivityError | ChildWorkflowError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, TimeoutError):  # its ``type`` is an int enum, not a class name
        kind = "".join(part.title() for part in cause.type.name.split("_")) if cause.type else ""
        return f"{kind}Timeout", TIMEOUT_MESSAGES.get(kind, cause.message or "timed out")
    error_type = getattr(cause, "type", None)
    if not isinstance(error_type, str) or not error_type:
        error_type = type(cause).__name__
    return error_type, getattr(cause, "message", None) or str(cause) or error_type


TIMEOUT_MESSAGES = {
    "ScheduleToClose": "no result within the call's total time cap (retry.max_elapsed in the "
    "catalog); every attempt and wait counts against it",
    "StartToClose": "the worker running the call did not finish it in time",
    "Heartbeat": "the worker running the call stopped answering (crashed or overloaded)",
    "ScheduleToStart": "no worker picked the call up in time: is a worker serving its queue?",
}
"""What each Temporal timeout means for an agent call, in the user's terms."""


def evaluate_in(node_id: str, what: str, expr: str, scope: dict[str, Any]) -> Any:
    """Evaluate an expression of a step; a runtime error fails the run clearly."""
    try:
        return evaluate(expr, scope)
    except Exception as exc:  # JMESPath runtime errors (e.g. wrong argument type)
        raise failure(
            f"step {node_id!r}: {what} = {expr!r} could not be evaluated: {exc}", ExpressionFailed
        ) from None


def evaluate_inputs(node_id: str, inputs: dict[str, str], scope: dict[str, Any]) -> dict[str, Any]:
    """Evaluate a step's ``with`` expressions."""
    return {
        name: evaluate_in(node_id, f"input {name!r}", expr, scope) for name, expr in inputs.items()
    }


async def execute(node: Node, frame: Frame, ctx: Ctx) -> Any:
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
    if record is not None:
        record.status = "running"
        record.started_at = workflow.now()
        ctx.state.current.append(node.id)
    step_frame = frame.owned_by(record or frame.owner)
    if node.budget is not None:  # a cap on everything inside this step
        cap = BudgetState(usd=node.budget.usd, tokens=node.budget.tokens)
        if record is not None:
            record.budget = cap
        step_frame = step_frame.capped(node.id, cap)
    due = workflow.now() + timedelta(seconds=node.deadline.after_s) if node.deadline else None
    if record is not None and due is not None:
        record.deadline_at = due
    while True:
        try:
            work = kind_of(node).execute(node, step_frame, ctx)
            if node.deadline is not None and due is not None:
                from podium.workflows.steps.deadline import within_deadline  # (import cycle)

                done, output = await within_deadline(node.deadline, due, work, ctx, node.id, record)
                if done == "skipped":
                    return _finish(ctx, record, scope, node.id, "skipped", None, "deadline missed")
            else:
                output = await work
        except asyncio.CancelledError:
            _close(ctx, record, "cancelled")
            raise
        except (ActivityError, ApplicationError, ChildWorkflowError) as exc:
            if isinstance(exc.cause, CancelledError) and _being_cancelled():
                _close(ctx, record, "cancelled")  # we cancelled it (e.g. a lost `any` race)
                raise asyncio.CancelledError() from None
            error_type, message = describe(exc)
            if record is not None:
                record.error_type, record.error = error_type, message
                record.attempts = _attempt(exc) or record.attempts
            if node.on_error == "escalate" and error_type not in RUN_STOPPING:
                from podium.workflows.steps.escalation import resolve_failure  # (import cycle)

                try:
                    outcome, result = await resolve_failure(
                        node, frame, ctx, record, error_type, message
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
            ctx.saga.append((node, frame.snapshot(), key))  # or a later map item left them
        return result


def skip_unreached(node: Node, ctx: Ctx, reason: str) -> None:
    """Mark the never-started tracked steps inside ``node`` as skipped (nothing waits on them)."""
    for inner in tracked(children(node)):
        record = ctx.find(inner.id)
        if record is not None and record.status == "pending":
            record.status = "skipped"
            record.skipped_reason = reason
            ctx.finished += 1


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _failed(
    node: Node,
    scope: dict[str, Any],
    ctx: Ctx,
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
    ctx: Ctx,
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
        _close(ctx, record, status)
        record.output = output
        if status == "completed":
            record.error = record.error_type = None
        if reason:
            record.skipped_reason = reason
    scope["steps"][step_id] = {"output": output, "status": status}
    return output


WRAPPED = frozenset(RUN_FAILURES) - {"JoinFailed", "NoRoute"}  # (Python helpers' own)
"""Failures that already name their step (or stop the run): passed on as they are."""


def _attempt(exc: BaseException) -> int:
    return FailureDetails.of(exc).attempt or 0


def _close(ctx: Ctx, record: StepState | None, status: str) -> None:
    if record is None:
        return
    record.status = status  # type: ignore[assignment]
    record.finished_at = workflow.now()
    ctx.finished += 1
    if record.started_at is not None:
        record.duration_ms = (record.finished_at - record.started_at).total_seconds() * 1000
    if record.id in ctx.state.current:
        ctx.state.current.remove(record.id)
