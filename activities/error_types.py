"""The error tree's leaves by the name a Temporal failure carries as its ``type``.

A run failure or a failed agent call crosses Temporal as an ``ApplicationError`` whose
``type`` is the class name (``RunFailure.failure``, ``AgentCallError.to_application_error``
in ``activities.errors``). Here that name is read back: which class it is, whether it may
be retried, whether it stops the run, and ``from_failure``, which rebuilds the error.
"""

from __future__ import annotations

from podium.activities.contracts import FailureDetails
from podium.activities.errors import (
    AgentCallError,
    AgentFunctionError,
    AnswerTooLarge,
    ApprovalTimedOut,
    BudgetExceeded,
    DeadlineExceeded,
    ExpressionFailed,
    GuardTripped,
    InternalError,
    JoinFailed,
    LimiterUnavailable,
    NoRoute,
    OutputSchemaError,
    OutputTruncated,
    PayloadTooLarge,
    PodiumError,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderConflict,
    ProviderNotConfigured,
    ProviderRateLimited,
    ProviderRejectedRequest,
    ProviderRequestTimeout,
    ProviderServerError,
    ProviderTimeout,
    ProviderTransportError,
    ProviderUnavailable,
    RunAborted,
    RunFailure,
    SpendWindowExhausted,
    StepBudgetExceeded,
    StepDeadlineExceeded,
    StepFailed,
    ToolNotConfigured,
    ToolUnavailable,
    UngatedSideEffect,
)
from temporalio.exceptions import ApplicationError

RUN_FAILURES: dict[str, type[RunFailure]] = {
    cls.__name__: cls
    for cls in (
        BudgetExceeded,
        DeadlineExceeded,
        RunAborted,
        UngatedSideEffect,
        StepFailed,
        ExpressionFailed,
        ApprovalTimedOut,
        StepBudgetExceeded,
        SpendWindowExhausted,
        StepDeadlineExceeded,
        JoinFailed,
        NoRoute,
        PayloadTooLarge,
    )
}
"""Run failure leaves by name (the ``type`` of a failed run's ``ApplicationError``)."""

RUN_STOPPING: frozenset[str] = frozenset(n for n, c in RUN_FAILURES.items() if c.run_stopping)
"""Failure types that stop the whole run."""

ERROR_TYPES: dict[str, type[AgentCallError]] = {
    cls.__name__: cls
    for cls in (
        ProviderTransportError,
        ProviderTimeout,
        LimiterUnavailable,
        ProviderBadResponse,
        ProviderRequestTimeout,
        ProviderConflict,
        ProviderRateLimited,
        ProviderServerError,
        ProviderAuthError,
        ProviderRejectedRequest,
        ProviderNotConfigured,
        ProviderUnavailable,
        AgentFunctionError,
        InternalError,
        AnswerTooLarge,
        ToolUnavailable,
        ToolNotConfigured,
        GuardTripped,
        OutputSchemaError,
        OutputTruncated,
    )
}
"""Leaf classes by name (used by the scripted model's fault injection)."""

NON_RETRYABLE_TYPES: list[str] = [n for n, c in ERROR_TYPES.items() if not c.retryable]
"""Leaf names that are never retried."""

SCHEMA_ERROR_TYPES: frozenset[str] = frozenset(
    n for n, c in ERROR_TYPES.items() if issubclass(c, OutputSchemaError)
)
"""Leaf names of answers that failed the output schema (a repair round may fix them)."""


def is_retryable(error_type: str) -> bool:
    """Whether a failure of this type may be tried again (unknown types: no)."""
    cls = ERROR_TYPES.get(error_type)
    return cls is not None and cls.retryable


def from_failure(failure: BaseException) -> PodiumError | None:
    """The Podium error a failure stands for (``WorkflowFailureError.cause``, an
    ``ActivityError`` …), with its message and ``details``; None if it is none of ours."""
    cause: BaseException | None = failure
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)
    if cause is None or cause.type is None:
        return None
    details = FailureDetails.of(cause)
    if cause.type in RUN_FAILURES:
        error: PodiumError = RUN_FAILURES[cause.type](cause.message)
    elif cause.type in ERROR_TYPES:
        error = ERROR_TYPES[cause.type](cause.message, **details.model_dump(exclude_none=True))
    else:
        return None
    error.failure_details = details
    return error
