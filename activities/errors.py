"""Podium's error taxonomy for agent calls.

Every failure of an agent call is one of these classes; the class decides whether
the call is tried again. Retryable leaves are retried with backoff (a provider's
Retry-After becomes the next retry delay) up to the agent's ``retry.max_attempts``;
non-retryable leaves fail the call at once so the workflow can move on (repair,
fallback, escalation). The workflow counts and schedules these retries
(``workflows/steps/agent_call.py``); Temporal itself only re-runs an attempt that a
dying worker cut off, which spends no attempt.

    AgentCallError
    ├── RetryableError                         retried
    │   ├── ProviderTransportError             connect / read / write failure
    │   ├── ProviderTimeout                    no answer within the step's timeout
    │   ├── ProviderBadResponse                body is not the JSON a provider must send
    │   ├── LimiterUnavailable                 the provider's rate limiter did not answer
    │   └── ProviderHTTPError
    │       ├── ProviderRequestTimeout         HTTP 408
    │       ├── ProviderConflict               HTTP 409
    │       ├── ProviderRateLimited            HTTP 429 (Retry-After honoured)
    │       └── ProviderServerError            HTTP 5xx (Retry-After honoured)
    └── PermanentError                         not retried
        ├── ProviderAuthError                  HTTP 401 / 403: key missing, wrong or revoked
        ├── ProviderRejectedRequest            any other HTTP 4xx
        ├── ProviderNotConfigured              worker lacks the provider's API-key variable
        ├── ProviderUnavailable                the provider's circuit is open (fail fast)
        ├── AgentFunctionError                 a function agent raised
        ├── InternalError                      an unexpected error in the worker (a bug,
        │                                      or a setting no check caught)
        └── OutputSchemaError                  the model answered, but not valid JSON for
            │                                  the agent's output schema
            └── OutputTruncated                the answer was cut at max_output_tokens

``OutputSchemaError`` is kept apart from provider failures on purpose: the provider
worked and was paid, so retrying blindly would pay again for the same mistake. The
workflow decides what to do with it (re-ask with the validation errors, fall back).
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory


class AgentCallError(Exception):
    """Base class of every agent-call failure."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.details = details

    def to_application_error(self) -> ApplicationError:
        """Convert to the Temporal failure the activity raises (type = class name)."""
        delay = timedelta(seconds=self.retry_after) if self.retry_after else None
        if self.retry_after:
            self.details["retry_after_s"] = self.retry_after
        return ApplicationError(
            self.message,
            self.details or None,
            type=type(self).__name__,
            non_retryable=not self.retryable,
            next_retry_delay=delay,
            # Expected: logged once by run_agent, not as a traceback by Temporal's worker.
            category=ApplicationErrorCategory.BENIGN,
        )


class RetryableError(AgentCallError):
    """A failure that may go away by itself; Temporal retries it."""

    retryable = True


class PermanentError(AgentCallError):
    """A failure that will happen again on retry; Temporal does not retry it."""


class ProviderTransportError(RetryableError):
    """The request never got an HTTP answer (connect/read failure, client timeout)."""


class ProviderTimeout(RetryableError):
    """The provider sent no complete answer within the call's timeout."""


class LimiterUnavailable(RetryableError):
    """The provider's limiter workflow did not answer (no orchestration worker running?);
    not counted against the provider's circuit."""


class ProviderBadResponse(RetryableError):
    """The provider answered 2xx with a body that is not a chat completion."""


class ProviderHTTPError(RetryableError):
    """The provider answered with a retryable HTTP status."""


class ProviderRequestTimeout(ProviderHTTPError):
    """HTTP 408."""


class ProviderConflict(ProviderHTTPError):
    """HTTP 409."""


class ProviderRateLimited(ProviderHTTPError):
    """HTTP 429; the provider's Retry-After (if any) sets the next retry delay."""


class ProviderServerError(ProviderHTTPError):
    """HTTP 5xx."""


class ProviderAuthError(PermanentError):
    """HTTP 401/403: the API key is missing, wrong or lacks permission."""


class ProviderRejectedRequest(PermanentError):
    """Any other HTTP 4xx: the request itself is wrong and will stay wrong."""


class ProviderNotConfigured(PermanentError):
    """The worker cannot call this provider (e.g. its API-key variable is unset)."""


class ProviderUnavailable(PermanentError):
    """The provider's circuit breaker is open: too many recent calls failed."""


class AgentFunctionError(PermanentError):
    """A Python function agent raised an exception."""


class InternalError(PermanentError):
    """Something no other class explains went wrong inside the worker: reported, not
    retried (retrying a bug only repeats it)."""


class OutputSchemaError(PermanentError):
    """The model's answer is not JSON, or does not match the agent's output schema."""


class OutputTruncated(OutputSchemaError):
    """The model stopped at the token limit (finish_reason ``length``): the answer is cut."""


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


def error_for_status(status: int, message: str, headers: Any = None) -> AgentCallError:
    """Classify an HTTP error status into the taxonomy."""
    retry_after = parse_retry_after(headers) if headers is not None else None
    cls: type[AgentCallError]
    if status == 408:
        cls = ProviderRequestTimeout
    elif status == 409:
        cls = ProviderConflict
    elif status == 429:
        cls = ProviderRateLimited
    elif status >= 500:
        cls = ProviderServerError
    elif status in (401, 403):
        cls = ProviderAuthError
    else:
        cls = ProviderRejectedRequest
    if not cls.retryable:
        retry_after = None
    return cls(f"HTTP {status}: {message}", retry_after=retry_after, status=status)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            seconds = float(ms) / 1000.0
            if math.isfinite(seconds):
                return max(0.0, seconds)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
