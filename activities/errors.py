"""Every error Podium lets a user catch or see, in one tree.

    PodiumError
    ├── SetupError                             refused before anything ran: fix and retry
    │   ├── CompileError                       a spec or catalog is wrong (file, line, hint)
    │   ├── FileReadError                      a file cannot be read (encoding, YAML, path)
    │   ├── InputError                         the run input is unreadable or invalid
    │   │   └── InputTooLarge                  over the server's message size limit
    │   ├── ConfigurationError                 a worker cannot start as asked
    │   ├── PlanningError                      podium plan cannot draft (no planner, model)
    │   ├── SpecEditError                      an edit of a spec names no place in it, or misfits
    │   ├── PayloadSettingsError               a payload store or encryption setting is wrong
    │   ├── MemorySettingsError                PODIUM_MEMORY_URL is wrong (or its driver missing)
    │   ├── UnknownEncryptionKey               data encrypted with a key this process lacks
    │   └── TemporalUnreachable                no Temporal server at the address
    ├── PayloadStoreError                      retried
    ├── MemoryUnavailable                      retried
    ├── RunNotFound                            no run with that id
    ├── RunStuck                               workers keep failing the run's workflow task
    ├── RunFailure                             a run reports it (ApplicationError type)
    │   ├── RunStopped                         stops the run: never optional or escalated
    │   │   ├── BudgetExceeded                 the run's budget ran out
    │   │   ├── DeadlineExceeded               the run missed its deadline
    │   │   ├── RunAborted                     a person aborted the run
    │   │   └── UngatedSideEffect              a side effect no approval gates (policy)
    │   └── StepError                          fails the run unless the step is optional
    │       ├── StepFailed                     a step failed for good (names step and cause)
    │       ├── ExpressionFailed               an expression could not be evaluated
    │       ├── ApprovalTimedOut               nobody decided and on_timeout is fail
    │       ├── StepBudgetExceeded             a step's own budget cap ran out
    │       ├── SpendWindowExhausted           a spend window ran out (on_exhausted: fail)
    │       ├── StepDeadlineExceeded           a step missed its deadline
    │       ├── JoinFailed                     a parallel join cannot succeed
    │       ├── NoRoute                        a route's value matches no case
    │       ├── PayloadTooLarge                over Temporal's 2 MB payload limit (no store)
    │       └── MemoryFactTooLarge             a fact to remember is over 64 KB
    └── AgentCallError                         one agent call failed
        ├── RetryableError                     retried
        │   ├── ProviderTransportError         connect / read / write failure
        │   ├── ProviderTimeout                no answer within the step's timeout
        │   ├── ProviderBadResponse            body is not the JSON a provider must send
        │   ├── LimiterUnavailable             the provider's rate limiter did not answer
        │   ├── ToolUnavailable                a tool could not be reached or asked to retry
        │   └── ProviderHTTPError
        │       ├── ProviderRequestTimeout     HTTP 408
        │       ├── ProviderConflict           HTTP 409
        │       ├── ProviderRateLimited        HTTP 429 (Retry-After honoured)
        │       └── ProviderServerError        HTTP 5xx (Retry-After honoured)
        └── PermanentError                     not retried
            ├── ProviderAuthError              HTTP 401 / 403: key missing, wrong or revoked
            ├── ProviderRejectedRequest        any other HTTP 4xx
            ├── ProviderNotConfigured          worker lacks the provider's settings or key
            ├── ProviderUnavailable            the provider's circuit is open (fail fast)
            ├── AgentFunctionError             a function agent raised
            ├── InternalError                  an unexpected error in the worker (a bug)
            ├── AnswerTooLarge                 over the 2 MB payload limit (no store)
            ├── ToolNotConfigured              a tool cannot run on this worker (import, key)
            ├── GuardTripped                   a guard blocked personal data or an injection
            └── OutputSchemaError              the answer is not valid for the schema
                └── OutputTruncated            the answer was cut at max_output_tokens

Where they surface:

- ``SetupError``: raised by the CLI and the Python API before a run starts (nothing is
  written anywhere). ``CompileError`` lists every problem with file, line and a hint.
- ``UnknownEncryptionKey``: a client (``podium status``, ``approve``…) or a worker
  reads data encrypted with a key it does not have; the message names the key id and
  ``PODIUM_ENCRYPTION_KEYS``. On a worker it fails the workflow task, which Temporal
  retries: the run waits (``RunStuck`` for the CLI) until a worker has the key.
- ``RunStuck``: the CLI reading a run whose workflow task the workers keep failing (a
  key or a step kind they lack); nothing is lost, the run goes on once a worker can.
- ``PayloadStoreError``: the payload store (``PODIUM_PAYLOAD_STORE``) cannot be written
  or read — down, full, or an object is missing. Raised while a payload is encoded or
  decoded (client, worker); Temporal retries the task, so the run waits and loses
  nothing; the Web UI shows the message on the pending task.
- ``RunFailure``: what a failed run's ``WorkflowFailureError.cause`` carries, as an
  ``ApplicationError`` whose ``type`` is the class name and whose details are
  ``FailureDetails``; ``error_types.from_failure`` turns one back into its class. ``RunStopped``
  leaves stop the whole run at once (compensations run); ``StepError`` leaves fail the
  step, which fails the run unless the step is ``optional`` or escalated to a person.
- ``AgentCallError``: one failed call, as the ``type`` of the activity's failure. The
  retryable leaves are retried with backoff (a provider's Retry-After becomes the next
  delay) up to the agent's ``retry.max_attempts``; the workflow counts and schedules these
  retries (``workflows/steps/agent_call.py``); Temporal itself only re-runs an attempt a
  dying worker cut off, which spends no attempt. Permanent leaves fail the call at once so
  the workflow can move on (repair, fallback, escalation).

``OutputSchemaError`` is kept apart from provider failures on purpose: the provider
worked and was paid, so retrying blindly would pay again for the same mistake. The
workflow decides what to do with it (re-ask with the validation errors, fall back).
Classes defined where their data lives (``CompileError`` in compiler.problems,
``FileReadError`` in compiler.textfile, ``InputError`` and ``InputTooLarge`` in starters,
``ConfigurationError`` in workers.worker, ``TemporalUnreachable`` in starters.connect,
``PayloadSettingsError`` in activities.payloads.settings, ``UnknownEncryptionKey`` in
activities.payloads.codec)
subclass the bases here. The leaves by the name a failure carries (which may be retried,
which stop the run) and ``from_failure`` are in ``activities.error_types``.
``tests/activities/test_error_tree.py`` holds this drawing, the classes and docs/errors.md
together.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from podium.activities.contracts import FailureDetails
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory


class PodiumError(Exception):
    """Base of every error Podium lets a user catch or see."""

    retryable: ClassVar[bool] = False
    """Trying the same thing again may succeed."""
    run_stopping: ClassVar[bool] = False
    """Stops the whole run (never optional, never escalated)."""
    failure_details: FailureDetails | None = None
    """Set on errors read back from a Temporal failure (``from_failure``)."""


class SetupError(PodiumError):
    """Refused before anything ran: fix what the message says and try again."""


class PayloadStoreError(PodiumError, RuntimeError):
    """The payload store cannot be written or read (the message says which and why)."""

    retryable = True


class MemorySettingsError(SetupError, ValueError):
    """``PODIUM_MEMORY_URL`` is malformed, names a store this process has no driver for, or
    a database newer than this release (the message says which and how to fix it)."""


class MemoryUnavailable(PodiumError, RuntimeError):
    """The memory store cannot be opened, read or written (down, full, not reachable):
    the step's memory activity is retried, so the run waits and loses nothing."""

    retryable = True


class RunNotFound(PodiumError, LookupError):
    """No run with this id in the namespace."""


class RunStuck(PodiumError, RuntimeError):
    """The workers keep failing this run's workflow task (they lack its encryption key or
    a step kind it uses): the run waits, nothing is lost; the message says what to fix."""


class RunFailure(PodiumError):
    """A failure a run reports: raised in the workflow as an ``ApplicationError`` whose
    ``type`` is the class name (``failure``), read back with ``error_types.from_failure``."""

    @classmethod
    def failure(cls, message: str, **details: Any) -> ApplicationError:
        """The non-retryable ``ApplicationError`` a workflow raises for this class."""
        data = FailureDetails(**details).model_dump(exclude_none=True)
        return ApplicationError(message, data or None, type=cls.__name__, non_retryable=True)


class RunStopped(RunFailure):
    """Stops the whole run at once; compensations run."""

    run_stopping = True


class BudgetExceeded(RunStopped):
    """The run's budget ran out (``on_exceed: fail``, or a person aborted at the limit)."""


class DeadlineExceeded(RunStopped):
    """The run missed its deadline (``on_breach: fail``)."""


class RunAborted(RunStopped):
    """A person aborted the run (from an escalation, a budget or a deadline request)."""


class UngatedSideEffect(RunStopped):
    """A step with side effects that the catalog policy says must be approved has no
    approval before it in the plan (a plan the compiler did not check): the run stops
    before the effect."""


class StepError(RunFailure):
    """A step failed; the run fails unless the step is optional or escalated."""


class StepFailed(StepError):
    """A step failed for good; the message names the step and the cause."""


class ExpressionFailed(StepError):
    """An expression (``when``, ``with``, ``over``, ``on``, output) failed at run time."""


class ApprovalTimedOut(StepError):
    """Nobody decided an approval in time and its ``on_timeout`` is ``fail``."""


class StepBudgetExceeded(StepError):
    """A step's own ``budget:`` cap ran out."""


class SpendWindowExhausted(StepError):
    """A call would pass a spend window's cap (catalog ``policy: spend``) for the day or
    month, and the window says ``on_exhausted: fail``. (Under ``wait`` the run asks a person
    instead; the refused activity carries this type either way.)"""


class StepDeadlineExceeded(StepError):
    """A step missed its ``deadline:`` (``on_breach: fail``)."""


class JoinFailed(StepError):
    """A parallel join cannot succeed: a ``fail`` branch failed, or too few succeeded.

    Raised by ``fan_out`` (``outcomes``: every branch's outcome; ``cause``: the failure
    that decided it); the parallel step reports it as ``StepFailed``."""

    def __init__(
        self, message: str, outcomes: dict[str, Any] | None = None, cause: Any = None
    ) -> None:
        super().__init__(message)
        self.outcomes = outcomes or {}
        self.cause = cause


class NoRoute(StepError):
    """A route's value matches no case and there is no default."""


class PayloadTooLarge(StepError):
    """What a step would send (a call's input, a child's input, the run's result) is over
    Temporal's payload limit and this worker has no payload store."""


class MemoryFactTooLarge(StepError):
    """A step's ``memory: write: fact:`` is over 64 KB as JSON: write a summary, not the
    whole document."""


class AgentCallError(PodiumError):
    """Base class of every agent-call failure."""

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


class ToolUnavailable(RetryableError):
    """A tool could not be reached, or asked to be called again later (HTTP 408/409/429/
    5xx, a function raising ``ToolUnavailable``/``TimeoutError``/``ConnectionError``).
    Retried with the tool's policy; if it stays down, the model is told."""


class ToolNotConfigured(PermanentError):
    """A tool cannot run on this worker: its function does not import, its auth
    variable is unset, its MCP server does not start."""


class GuardTripped(PermanentError):
    """An agent's or a tool's ``guard:`` found what it blocks (personal data under ``pii:
    block``, prompt injection in a tool result): the text never reached the provider, the
    model or the run's record. The message names the kinds and places, never the values;
    the details (``FailureDetails.guard``) say whether the guard fails the step or asks a
    person (``on_trip``). Not retried: the same text trips it again."""


class AnswerTooLarge(PermanentError):
    """The model's answer is over Temporal's payload limit and the worker has no payload
    store: not retried (the provider was paid; the same question gets the same size)."""


class OutputSchemaError(PermanentError):
    """The model's answer is not JSON, or does not match the agent's output schema."""


class OutputTruncated(OutputSchemaError):
    """The model stopped at the token limit (finish_reason ``length``): the answer is cut."""
