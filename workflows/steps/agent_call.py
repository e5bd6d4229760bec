"""Calling an agent from a workflow: one activity per provider attempt.

``call_agent`` is the building block for hand-written Python workflows too:

    result = await call_agent(plan_agent, {"terms": terms}, step_id="legal")

Who retries what:

- **Temporal** re-runs an attempt only when the worker running it died or lost it
  (heartbeat timeout): that is our infrastructure failing, and it spends none of the
  agent's attempts. Every error the activity raises itself is final for that attempt.
- **This loop** retries what the provider got wrong (HTTP 5xx/429/408/409, timeouts,
  broken bodies): up to ``retry.max_attempts`` attempts, with exponential backoff on
  durable timers (a provider's Retry-After wins), within ``retry.max_elapsed_s``.
  Permanent errors (4xx, an answer that fails its schema) are never retried here.

Retries of one call share its idempotency key; each attempt is its own activity, so
the history and the Web UI show every try.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from podium.activities.contracts import AgentCall, AgentConfig, AgentResult, RepairRequest
from podium.activities.error_types import ERROR_TYPES, is_retryable
from podium.activities.queues import provider_queue
from podium.activities.retry_settings import RetrySettings
from podium.activities.run_agent import run_agent
from podium.activities.spend_contracts import SPEND_REFUSED, SpendRefusal
from podium.workflows.events import RunEvents
from podium.workflows.steps.spend_desk import SpendDesk
from podium.workflows.steps.support import ensure_fits
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    FailureError,
)

WORKER_RETRIES = 25
"""A call whose worker dies this many times (a crash loop, a call that kills its worker)
fails with ``HeartbeatTimeout`` instead of taking worker after worker down."""
WORKER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=WORKER_RETRIES,
    non_retryable_error_types=sorted(ERROR_TYPES),
)
"""Temporal's own retries of an attempt: only what no Podium error explains (a worker
killed mid-call, a lost task), within the call's total time cap."""
MAX_RETRY_AFTER_S = 3600.0
"""A provider's Retry-After is honoured up to an hour."""

INFRASTRUCTURE_ERRORS = frozenset({"LimiterUnavailable"})
"""Retryable failures of Podium's own machinery: retried within the time cap without
spending the agent's attempts."""

NO_CAP_BACKSTOP_S = 600.0
"""Without a total time cap, an attempt still ends this long after its own timeout."""

LOCAL_CALLS = "podium-local-calls"
"""Patch: a fast call's first attempt is a local activity (replaying a run recorded
before: never)."""
LOCAL_MAX_S = 10.0
"""A fast call's local attempt is given at most this long. A local activity holds its
run's workflow task open (nothing else of the run reaches the server meanwhile) and a
worker crash re-runs it from the start, so only short calls take the fast path; one that
runs over is abandoned and tried again as a regular activity (same idempotency key)."""


def runs_locally(agent: AgentConfig) -> bool:
    """Whether a call of ``agent`` takes the fast path: the agent is declared ``fast`` and
    its provider has no limits to honour (a rate, a token budget or a concurrency cap is
    kept by the provider's queue and limiter, so such calls stay regular activities)."""
    return agent.fast and not agent.provider.limited


def retry_delay(retry: RetrySettings, attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the provider's Retry-After, else
    exponential backoff from ``initial_interval_s``, capped at ``max_interval_s``."""
    if retry_after is not None and retry_after > 0:
        return min(retry_after, MAX_RETRY_AFTER_S)
    delay = retry.initial_interval_s * retry.backoff ** min(attempt - 1, 64)
    return min(delay, retry.max_interval_s)


async def call_agent(
    agent: AgentConfig,
    inputs: dict[str, Any],
    *,
    step_id: str,
    timeout_s: float | None = None,
    retry: RetrySettings | None = None,
    label: str | None = None,
    repair: RepairRequest | None = None,
    idempotency_key: str | None = None,
    failed_attempts: list[str] | None = None,
    messages: list[dict[str, Any]] | None = None,
    tools_enabled: bool = True,
    events: RunEvents | None = None,
    spend: SpendDesk | None = None,
    undo: bool = False,
) -> AgentResult:
    """Run one agent call (retrying the provider's transient failures) and return its result.

    Args:
        agent: the resolved agent (from a compiled plan or ``load_catalog``).
        inputs: what the agent receives.
        step_id: names the call in history, labels and the idempotency key.
        timeout_s: how long the provider may take per attempt (default: the agent's).
        retry: retry settings (default: the agent's).
        label: the timeline label (default ``agent · step``).
        repair: the invalid answer and its errors, on a repair round.
        idempotency_key: shared by every attempt of this call (default: a new key
            ``<workflow id>/<step id>/<8 hex>``: each call is a new call).
        failed_attempts: if given, ``"Type: message"`` of each failed attempt is appended
            (the last one included when the call fails for good).
        events: the run's event stream: the call streams its text there while someone
            follows the run.
        spend: the run's spend windows: the call reserves in them, and a refusal waits
            for a person or fails the step as the window declares (``spend_desk``).
        undo: a compensation: counted in the spend windows, never refused.

    Raises ``temporalio.exceptions.ActivityError`` when the call fails for good; its
    ``cause`` is an ``ApplicationError`` whose ``type`` names the taxonomy class.
    """
    info = workflow.info()
    settings = retry or agent.retry
    key = idempotency_key or f"{info.workflow_id}/{step_id}/{workflow.uuid4().hex[:8]}"
    label = label or f"{agent.name} · {step_id}"
    deadline_s = timeout_s or agent.timeout_s
    started = workflow.now()
    attempt = 1
    terms = spend.terms(undo=undo) if spend is not None else None
    # (a call under spend windows books them from a regular activity)
    local = (
        terms is None
        and runs_locally(agent)
        and may_run_locally()
        and workflow.patched(LOCAL_CALLS)
    )
    stream = events.target(key.removeprefix(f"{info.workflow_id}/")) if events else None
    while True:
        call = AgentCall(
            agent=agent,
            inputs=inputs,
            run_id=info.workflow_id,
            step_id=step_id,
            idempotency_key=key,
            repair=repair,
            attempt=attempt,
            timeout_s=timeout_s,
            messages=messages or [],
            tools_enabled=tools_enabled,
            stream=stream,
            spend=terms,
        )
        if attempt == 1:
            ensure_fits(call, step_id, f"the input of its call to agent {agent.name!r}")
        elapsed = (workflow.now() - started).total_seconds()
        cap_left = None
        if settings.max_elapsed_s is not None:
            cap_left = max(settings.max_elapsed_s - elapsed, 1.0)
        try:
            if local:  # the fast path: on this worker, a marker instead of a task
                return await _local(call, deadline_s, label, attempt)
            return await workflow.execute_activity(
                run_agent,
                call,
                task_queue=provider_queue(agent.provider.name),
                schedule_to_close_timeout=_seconds(cap_left) if cap_left is not None else None,
                start_to_close_timeout=(
                    _seconds(deadline_s + NO_CAP_BACKSTOP_S) if cap_left is None else None
                ),
                heartbeat_timeout=_seconds(agent.heartbeat_s),
                retry_policy=WORKER_RETRY,
                summary=label if attempt == 1 else f"{label} · attempt {attempt}",
            )
        except ActivityError as exc:
            cause = exc.cause
            if spend is not None and isinstance(cause, ApplicationError):
                if cause.type == SPEND_REFUSED and cause.details:  # nothing was sent
                    refusal = SpendRefusal.model_validate(cause.details[0])
                    terms = await spend.refused(refusal, step_id, agent.name)
                    continue
            if local and not _cancelled(exc):  # anything went wrong: retry the regular way
                local = False
                if not isinstance(cause, ApplicationError) or cause.type in LOCAL_ONLY_ERRORS:
                    continue  # (this worker could not run it: not the provider's fault)
            if not isinstance(cause, ApplicationError):
                raise  # a timeout of the whole call, or we were cancelled
            if failed_attempts is not None:
                failed_attempts.append(f"{cause.type}: {cause.message}")
            if not is_retryable(cause.type or ""):
                raise
            ours = cause.type in INFRASTRUCTURE_ERRORS  # not the provider's fault: free
            if settings.max_attempts and attempt >= settings.max_attempts and not ours:
                raise
            retry_after = cause.next_retry_delay.total_seconds() if cause.next_retry_delay else None
            delay = retry_delay(settings, attempt, retry_after)
            elapsed = (workflow.now() - started).total_seconds()
            if settings.max_elapsed_s and elapsed + delay >= settings.max_elapsed_s:
                raise
            await workflow.sleep(delay, summary=f"{label}: retry in {delay:g}s after {cause.type}")
            if not ours:
                attempt += 1


LOCAL_RETRY = RetryPolicy(maximum_attempts=1)
"""A local attempt is tried once: whatever fails is retried as a regular activity."""
LOCAL_ONLY_ERRORS = frozenset({"ProviderNotConfigured", "InternalError"})
"""Failures of a local attempt that say more about this worker than about the call (a
function not importable here): the regular attempt does not count them."""


def _cancelled(exc: ActivityError) -> bool:
    return isinstance(exc.cause, CancelledError)


async def _local(call: AgentCall, deadline_s: float, label: str, attempt: int) -> AgentResult:
    """One attempt as a local activity, given at most ``LOCAL_MAX_S``. Its failure is
    raised as the ``ActivityError`` a regular attempt's would be (a local activity's
    arrives unwrapped), so callers treat both alike."""
    try:
        result: AgentResult = await run_locally(
            run_agent,
            call,
            timeout_s=deadline_s,
            summary=label if attempt == 1 else f"{label} · attempt {attempt}",
        )
        return result
    except ApplicationError as exc:  # (a timeout or a cancellation arrives wrapped)
        raise as_activity_error(exc, "podium.run_agent") from exc


def may_run_locally() -> bool:
    """Whether a fast call may run as a local activity now: no local activity completed in
    the current workflow task.

    Local activities completed in one workflow task are recorded only when that task
    completes, and the task stays open while local activities follow each other: a
    worker dying then would run every one of them again. So a fast call that would
    follow one completed in the same task goes as a regular activity instead — scheduling
    it ends the task, which records the local one. (A 1 ms timer would do it too, but
    servers fire timers at a coarse tick, ~1 s on the dev server.) Concurrent fast calls
    (parallel branches) still share one task."""
    done_at = getattr(workflow.instance(), _LOCAL_MARK, None)
    return bool(done_at != workflow.info().get_current_history_length())


async def run_locally(activity: Any, arg: Any, *, timeout_s: float, summary: str) -> Any:
    """A local activity, tried once (ask ``may_run_locally`` first): the call's own
    ``timeout_s`` and 5 s of grace, capped at ``LOCAL_MAX_S``."""
    try:
        return await workflow.execute_local_activity(
            activity,
            arg,
            start_to_close_timeout=_seconds(min(timeout_s + 5, LOCAL_MAX_S)),
            retry_policy=LOCAL_RETRY,
            summary=summary,
        )
    finally:
        setattr(workflow.instance(), _LOCAL_MARK, workflow.info().get_current_history_length())


_LOCAL_MARK = "_podium_local_done_at"
"""Attribute on the workflow instance: history length when a local activity last ended."""


def as_activity_error(exc: FailureError, activity_type: str) -> ActivityError:
    """The ``ActivityError`` a regular attempt would have raised for ``exc`` (raise it
    ``from exc``): a local activity's failure arrives unwrapped."""
    return ActivityError(
        exc.message,
        scheduled_event_id=0,
        started_event_id=0,
        identity="",
        activity_type=activity_type,
        activity_id="",
        retry_state=None,
    )


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
