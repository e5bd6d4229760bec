"""One tool call from a workflow: ``run_tool`` activities with the tool's timeout, retry
settings and idempotency key — or, for a tool declared ``fast``, first a local activity on
this worker (see ``agent_call.run_locally``). Used by the tool loop and by the saga's undo
of a completed call.

Who retries what (as for agent calls, ``agent_call``): Temporal re-runs an attempt only
when the worker running it died or lost it — that spends none of the tool's
``retry.max_attempts``; this module counts the tool's own failures (``ToolUnavailable``)
and waits between attempts on durable timers. A side-effecting call whose outcome is not
known when it fails for good (an attempt was cut off, or sent and never answered) raises
``ToolOutcomeUnknown``: it may have happened.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from podium.activities.error_types import is_retryable
from podium.activities.errors import ToolNotConfigured
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.retry_settings import RetrySettings
from podium.activities.tool_contracts import ToolCallInput, ToolOutcome, ToolSpec
from podium.activities.tools.run import HEARTBEAT_S, SLOT_WAIT_S, run_tool
from podium.workflows.steps.agent_call import (
    LOCAL_CALLS,
    MAX_RETRY_AFTER_S,
    WORKER_RETRY,
    as_activity_error,
    may_run_locally,
    run_locally,
)
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

TOOL_ATTEMPTS = "podium-tool-attempts"
"""Patch: the workflow counts a tool call's attempts (one activity each, Temporal retrying
only what a dying worker cut off); runs started before let Temporal count every failure,
a crash included, in one activity."""


class ToolOutcomeUnknown(ActivityError):
    """A side-effecting call failed for good without saying whether it happened: an
    attempt was cut off (a worker died, the tool did not answer in time) and no later one
    got an answer. Its ``cause`` is the last attempt's failure."""


def tool_policy(settings: RetrySettings) -> RetryPolicy:
    """The retry settings of a tool's calls (``retry:``), as a ``RetryPolicy``."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=settings.initial_interval_s),
        backoff_coefficient=settings.backoff,
        maximum_interval=timedelta(seconds=settings.max_interval_s),
        maximum_attempts=settings.max_attempts,
        non_retryable_error_types=[ToolNotConfigured.__name__],
    )


async def call_tool(
    tool: ToolSpec,
    arguments: dict[str, Any],
    *,
    key: str,
    step_id: str,
    summary: str,
    retry: RetryPolicy,
    total_s: float | None = None,
) -> ToolOutcome:
    """Call a tool (a loop's call, or the saga's undo of one): the tool's timeout, a
    heartbeat so a dead worker is noticed in seconds, ``retry`` (``maximum_attempts`` 0:
    until it answers), ``total_s`` for every attempt and wait. A rate-limited tool's call
    may first wait for its slot (up to ``SLOT_WAIT_S``)."""
    waits = SLOT_WAIT_S if tool.requests_per_second else 0.0
    request = ToolCallInput(
        tool=tool,
        arguments=arguments,
        idempotency_key=key,
        run_id=workflow.info().workflow_id,
        step_id=step_id,
    )
    quick = tool.fast and not waits and may_run_locally()
    first, cut = 1, False
    if quick and workflow.patched(LOCAL_CALLS):  # the fast path: once,
        # on this worker, for at most LOCAL_MAX_S
        try:
            outcome: ToolOutcome = await run_locally(
                run_tool,
                request,
                timeout_s=tool.timeout_s,
                summary=summary,
            )
            return outcome
        except ActivityError as exc:  # a cancellation, or a timeout (ran over): wrapped
            if isinstance(exc.cause, CancelledError):
                raise
            cut = True  # it may have done its work before it was abandoned
        except ApplicationError as exc:  # a local activity's failure arrives unwrapped
            final = exc.non_retryable or exc.type in (retry.non_retryable_error_types or ())
            if final or exc.type == ToolNotConfigured.__name__ or retry.maximum_attempts == 1:
                raise as_activity_error(exc, "podium.run_tool") from exc  # as a regular one
            if retry.maximum_attempts > 1:  # the local try was the first attempt
                retry = dataclasses.replace(retry, maximum_attempts=retry.maximum_attempts - 1)
                first = 2
        # anything else: retried the regular way, with the tool's policy and the same key
    if not workflow.patched(TOOL_ATTEMPTS):  # runs started before: as they did
        return await workflow.execute_activity(
            run_tool,
            request,
            task_queue=ORCHESTRATION_QUEUE,
            start_to_close_timeout=timedelta(seconds=tool.timeout_s + 5 + waits),
            heartbeat_timeout=timedelta(seconds=HEARTBEAT_S),
            schedule_to_close_timeout=timedelta(seconds=total_s + waits) if total_s else None,
            retry_policy=retry,
            summary=summary,
        )
    return await _attempts(tool, request, retry, summary, total_s, waits, first, cut)


async def _attempts(
    tool: ToolSpec,
    request: ToolCallInput,
    retry: RetryPolicy,
    summary: str,
    total_s: float | None,
    waits: float,
    first: int,
    unknown: bool,
) -> ToolOutcome:
    """One activity per attempt until the tool answers or ``retry`` gives up (``first``:
    the number the first one shows; ``unknown``: an earlier try was cut off)."""
    started = workflow.now()
    attempt, shown = 1, first
    while True:
        elapsed = (workflow.now() - started).total_seconds()
        cap = None if not total_s else timedelta(seconds=max(total_s + waits - elapsed, 1.0))
        try:
            outcome: ToolOutcome = await workflow.execute_activity(
                run_tool,
                request,
                task_queue=ORCHESTRATION_QUEUE,
                start_to_close_timeout=timedelta(seconds=tool.timeout_s + 5 + waits),
                heartbeat_timeout=timedelta(seconds=HEARTBEAT_S),
                schedule_to_close_timeout=cap,
                retry_policy=WORKER_RETRY,  # only a dying worker's attempt is run again
                summary=summary if shown == 1 else f"{summary} · attempt {shown}",
            )
            return outcome
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, CancelledError):
                raise
            if not isinstance(cause, ApplicationError):  # a Temporal timeout: cut off
                unknown = True
                if retry.maximum_attempts or total_s:  # (an undo goes on until it answers)
                    raise _final(exc, tool, unknown) from cause
                continue
            unknown = unknown or _maybe_done(cause)
            final = not is_retryable(cause.type or "")
            if final or cause.type in (retry.non_retryable_error_types or ()):
                raise _final(exc, tool, unknown) from cause
            if retry.maximum_attempts and attempt >= retry.maximum_attempts:
                raise _final(exc, tool, unknown) from cause
            delay = _delay(retry, attempt, cause)
            elapsed = (workflow.now() - started).total_seconds()
            if total_s and elapsed + delay >= total_s:
                raise _final(exc, tool, unknown) from cause
            why = f"{summary}: retry in {delay:g}s after {cause.type}"
            await workflow.sleep(delay, summary=why)
            attempt, shown = attempt + 1, shown + 1


def _maybe_done(cause: ApplicationError) -> bool:
    """The activity said the call may have happened (``run_tool``'s ``outcome_unknown``)."""
    details = cause.details[0] if cause.details else None
    return isinstance(details, dict) and bool(details.get("outcome_unknown"))


def _delay(retry: RetryPolicy, attempt: int, cause: ApplicationError) -> float:
    """Seconds before the next attempt: the tool's Retry-After, else the policy's backoff."""
    if cause.next_retry_delay:
        return min(cause.next_retry_delay.total_seconds(), MAX_RETRY_AFTER_S)
    initial = retry.initial_interval.total_seconds()
    most = retry.maximum_interval.total_seconds() if retry.maximum_interval else 100 * initial
    return min(initial * retry.backoff_coefficient ** min(attempt - 1, 64), most)


def _final(exc: ActivityError, tool: ToolSpec, unknown: bool) -> ActivityError:
    """The failure a call that gave up raises: ``ToolOutcomeUnknown`` for a side effect
    that may have happened (raise it ``from exc.cause``), else ``exc`` itself."""
    if not (unknown and tool.side_effects):
        return exc
    return ToolOutcomeUnknown(
        exc.message,
        scheduled_event_id=exc.scheduled_event_id,
        started_event_id=exc.started_event_id,
        identity=exc.identity,
        activity_type=exc.activity_type,
        activity_id=exc.activity_id,
        retry_state=exc.retry_state,
    )


def unknown_outcome(tool: ToolSpec, error_type: str, message: str) -> str:
    """What the model is told of a side effect that may have happened."""
    then = (
        f"it will be undone with {tool.compensate.name!r} if the run fails"
        if tool.compensate is not None
        else "check whether it happened before calling it again"
    )
    return (
        f"the outcome of this call to {tool.name!r} is unknown: it may or may not have "
        f"happened (it was cut off and never answered; last: {error_type}: {message}); {then}"
    )
