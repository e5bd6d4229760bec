"""Tokens-per-minute leases for agent calls, from the provider's limiter workflow.

The limit must hold across every worker process, so the bucket is not in this process:
it is the ``PodiumTokenLimiter`` workflow of the provider (``workflows/limiter.py``),
started on first use by Update-with-Start.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from temporalio import activity
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from activities.contracts import AgentCall
from activities.errors import ProviderTransportError
from activities.providers.prompt import estimate_call
from activities.queues import ORCHESTRATION_QUEUE
from workflows.limiter import (
    LIMITER_WORKFLOW,
    Lease,
    LeaseRequest,
    LimiterState,
    Settlement,
    limiter_id,
)

logger = logging.getLogger("podium.tpm")
TRIES = 5


async def lease(call: AgentCall) -> int:
    """Wait for the call's estimated tokens from its provider's limiter; 0 if unlimited."""
    provider = call.agent.provider
    if not provider.tokens_per_minute:
        return 0
    prompt, most_out = estimate_call(call)
    tokens = prompt + most_out
    burst = provider.tokens_burst or provider.tokens_per_minute
    request = LeaseRequest(
        tokens=tokens,
        tokens_per_minute=provider.tokens_per_minute,
        burst=burst,
        who=f"{call.run_id}/{call.step_id}",
    )
    for attempt in range(1, TRIES + 1):
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            LIMITER_WORKFLOW,
            LimiterState(
                provider=provider.name,
                tokens_per_minute=provider.tokens_per_minute,
                burst=burst,
                level=float(burst),
            ),
            id=limiter_id(provider.name),
            task_queue=ORCHESTRATION_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"tokens/minute limiter of provider {provider.name}",
        )
        try:
            granted: Lease = await activity.client().execute_update_with_start_workflow(
                "acquire", request, start_workflow_operation=start, result_type=Lease
            )
        except Exception as exc:  # the limiter was continuing as new or ending: ask again
            if attempt == TRIES:
                raise ProviderTransportError(
                    f"the tokens/minute limiter of provider {provider.name!r} did not answer: "
                    f"{exc}; is an orchestration worker running?"
                ) from None
            await asyncio.sleep(0.2 * attempt)
            continue
        if granted.waited_s > 0.05:
            logger.info(
                "tokens/minute: %s waited %.2fs for %d tokens of %s",
                request.who,
                granted.waited_s,
                tokens,
                provider.name,
            )
        return tokens
    return tokens  # unreachable


async def settle(call: AgentCall, leased: int, used: int) -> None:
    """Tell the limiter when the call used more than it leased (the estimate was low)."""
    if not leased or used <= leased:
        return
    handle = activity.client().get_workflow_handle(limiter_id(call.agent.provider.name))
    try:
        await handle.signal("settle", Settlement(leased=leased, used=used))
    except RPCError as exc:  # the limiter ended meanwhile: its successor starts full anyway
        logger.warning("tokens/minute settlement not delivered: %s", exc)
