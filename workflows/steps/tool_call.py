"""One tool call from a workflow: a ``run_tool`` activity with the tool's timeout, retry
policy and idempotency key — or, for a tool declared ``fast``, first a local activity on
this worker (see ``agent_call.run_locally``). Used by the tool loop and by the saga's undo
of a completed call."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from podium.activities.contracts import RetrySettings, ToolCallInput, ToolOutcome, ToolSpec
    from podium.activities.errors import ToolNotConfigured
    from podium.activities.queues import ORCHESTRATION_QUEUE
    from podium.activities.tools.run import HEARTBEAT_S, SLOT_WAIT_S, run_tool

from podium.workflows.steps.agent_call import (
    LOCAL_CALLS,
    as_activity_error,
    may_run_locally,
    run_locally,
)


def tool_policy(settings: RetrySettings) -> RetryPolicy:
    """Temporal's retry policy for a tool's calls, from its ``retry:`` settings."""
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
    """One ``run_tool`` activity (a loop's call, or the saga's undo of one): the tool's
    timeout, a heartbeat so a dead worker is noticed in seconds, ``retry``. A
    rate-limited tool's call may first wait for its slot (up to ``SLOT_WAIT_S``)."""
    waits = SLOT_WAIT_S if tool.requests_per_second else 0.0
    request = ToolCallInput(
        tool=tool,
        arguments=arguments,
        idempotency_key=key,
        run_id=workflow.info().workflow_id,
        step_id=step_id,
    )
    quick = tool.fast and not waits and may_run_locally()
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
        except ApplicationError as exc:  # a local activity's failure arrives unwrapped
            final = exc.non_retryable or exc.type in (retry.non_retryable_error_types or ())
            if final or exc.type == ToolNotConfigured.__name__ or retry.maximum_attempts == 1:
                raise as_activity_error(exc, "podium.run_tool") from exc  # as a regular one
            if retry.maximum_attempts > 1:  # the local try was the first attempt
                retry = dataclasses.replace(retry, maximum_attempts=retry.maximum_attempts - 1)
        # anything else: retried the regular way, with the tool's policy and the same key
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
