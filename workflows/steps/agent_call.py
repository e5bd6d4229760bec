"""Calling an agent from a workflow: one activity on the agent's provider queue.

``call_agent`` is the building block for hand-written Python workflows too:

    result = await call_agent(plan_agent, {"terms": terms}, step_id="legal")
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        AgentCall,
        AgentConfig,
        AgentResult,
        RepairRequest,
        RetrySettings,
    )
    from activities.errors import NON_RETRYABLE_TYPES
    from activities.queues import provider_queue
    from activities.run_agent import run_agent


def retry_policy(retry: RetrySettings) -> RetryPolicy:
    """Temporal retry policy from Podium's retry settings (permanent errors never retry)."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=retry.initial_interval_s),
        backoff_coefficient=retry.backoff,
        maximum_interval=timedelta(seconds=retry.max_interval_s),
        maximum_attempts=retry.max_attempts,
        non_retryable_error_types=NON_RETRYABLE_TYPES,
    )


async def call_agent(
    agent: AgentConfig,
    inputs: dict[str, Any],
    *,
    step_id: str,
    timeout_s: float | None = None,
    retry: RetrySettings | None = None,
    label: str | None = None,
    repair: RepairRequest | None = None,
) -> AgentResult:
    """Run one agent call as an activity and return its result.

    Raises ``temporalio.exceptions.ActivityError`` when the call fails for good; its
    ``cause`` is an ``ApplicationError`` whose ``type`` names the taxonomy class.
    """
    info = workflow.info()
    call = AgentCall(
        agent=agent,
        inputs=inputs,
        run_id=info.workflow_id,
        step_id=step_id,
        idempotency_key=f"{info.workflow_id}/{step_id}",
        repair=repair,
    )
    return await workflow.execute_activity(
        run_agent,
        call,
        task_queue=provider_queue(agent.provider.name),
        start_to_close_timeout=timedelta(seconds=timeout_s or agent.timeout_s),
        heartbeat_timeout=timedelta(seconds=agent.heartbeat_s),
        retry_policy=retry_policy(retry or agent.retry),
        summary=label or f"{agent.name} · {step_id}",
    )
