"""What every executor uses: failing a step with a typed run failure, describing a
failure from an activity or child, and evaluating a step's expressions."""

from __future__ import annotations

from typing import Any

from podium.activities.errors import ExpressionFailed, PayloadTooLarge, RunFailure, StepFailed
from podium.activities.payloads.limits import HINT, PAYLOAD_LIMIT, megabytes, oversized
from podium.workflows.expressions import evaluate
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError, TimeoutError


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


def ensure_fits(value: Any, step_id: str | None, what: str) -> None:
    """Fail with ``PayloadTooLarge`` if ``value`` is over Temporal's payload limit and this
    worker has no payload store (the command would fail its task for ever)."""
    size = oversized(value)
    if size is None:
        return
    where = f"step {step_id!r}: " if step_id else ""
    raise failure(
        f"{where}{what} is {megabytes(size)}; Temporal refuses payloads over "
        f"{megabytes(PAYLOAD_LIMIT)} and this worker has no payload store.\nhint: {HINT}; "
        "or pass the step less (with: only the fields it reads)",
        PayloadTooLarge,
        step=step_id,
    )
