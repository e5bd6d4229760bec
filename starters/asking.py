"""Asking a catalog agent from this process, outside any run: the planner drafting a
spec (``podium plan``), a judge scoring an eval case (``podium eval``).

It is authoring and grading, not the business process, so the call goes straight to the
agent's provider (``PROVIDER_KINDS``, the worker's endpoint settings applied) with a few
retries of transient failures — no workflow, no history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podium.activities import endpoints
from podium.activities.contracts import AgentCall, AgentConfig, Usage
from podium.activities.errors import ProviderNotConfigured, RetryableError
from podium.activities.providers import PROVIDER_KINDS, Complete

RETRIES = 3


@dataclass
class Reply:
    """What the agent answered, what it used and cost, and whether it was offline."""

    output: Any
    usage: Usage
    cost_usd: float
    offline: bool


async def ask_agent(
    agent: AgentConfig,
    inputs: dict[str, Any],
    *,
    run_id: str,
    step_id: str,
    key: str,
    through: Callable[[Complete], Complete] | None = None,
) -> Reply:
    """One answer of ``agent`` to ``inputs`` (its ``output_schema`` checked by the
    provider); transient failures and timeouts are tried ``RETRIES`` times.

    Args:
        agent: the agent, as the compiler resolved it.
        inputs: what it is told.
        run_id, step_id, key: how the call names itself (logs, traces, fault injection).
        through: wraps the agent's provider (``podium eval --record/--replay``: a cassette).

    Raises:
        AgentCallError: the provider failed for good (the last retryable one, or a
            permanent one at once).
        TimeoutError: no answer within the agent's timeout, ``RETRIES`` times.
    """
    complete = PROVIDER_KINDS.get(agent.provider.kind)
    if complete is None:
        raise ProviderNotConfigured(f"unknown provider kind {agent.provider.kind!r}")
    if through is not None:
        complete = through(complete)
    call = AgentCall(
        agent=agent, inputs=inputs, run_id=run_id, step_id=step_id, idempotency_key=key
    )
    call = endpoints.for_call(call)
    for attempt in range(1, RETRIES + 1):
        try:
            reply = await asyncio.wait_for(complete(call), agent.timeout_s)
            cost = round(agent.price.cost(reply.usage), 8)
            return Reply(reply.output, reply.usage, cost, reply.offline)
        except (RetryableError, TimeoutError):
            if attempt == RETRIES:
                raise
            await asyncio.sleep(2**attempt)
    raise AssertionError("unreachable")
