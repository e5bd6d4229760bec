"""The ``run_agent`` activity: exactly one model request per activity execution."""

from __future__ import annotations

import logging
import time

from temporalio import activity

from activities import limits
from activities.circuit import breaker_for
from activities.contracts import AgentCall, AgentResult, billed_usage
from activities.errors import (
    AgentCallError,
    LimiterUnavailable,
    ProviderNotConfigured,
    ProviderUnavailable,
    RetryableError,
)
from activities.heartbeat import heartbeating
from activities.providers import PROVIDER_KINDS
from activities.telemetry import observe_agent_call

logger = logging.getLogger("podium.agent")


@activity.defn(name="podium.run_agent")
async def run_agent(call: AgentCall) -> AgentResult:
    """Call the agent's model once; return output, usage, cost, latency and model used.

    Failures are raised as Temporal ``ApplicationError`` whose ``type`` is the
    taxonomy class name (see ``activities.errors``) and whose retryability follows it.
    The call is traced (GenAI span, when tracing is on) and measured (``podium_*`` metrics).
    """
    with observe_agent_call(call) as outcome:
        outcome.result = await _call_once(call)
    return outcome.result


async def _call_once(call: AgentCall) -> AgentResult:
    agent = call.agent
    complete = PROVIDER_KINDS.get(agent.provider.kind)
    started = time.perf_counter()
    try:
        if complete is None:
            raise ProviderNotConfigured(f"unknown provider kind {agent.provider.kind!r}")
        breakers = []
        if agent.provider.circuit:
            breakers.append(
                breaker_for(f"provider {agent.provider.name!r}", agent.provider.circuit)
            )
        if agent.circuit:  # the agent's max_error_rate
            breakers.append(breaker_for(f"agent {agent.name!r}", agent.circuit))
        closed = next((b for b in breakers if b.state == "open"), None)
        allowed = [b for b in breakers if closed is None and b.allow()]
        if closed is not None or len(allowed) < len(breakers):
            for breaker in allowed:
                breaker.release()
            refusing = closed or next(b for b in breakers if b not in allowed)
            raise ProviderUnavailable(
                f"{refusing.provider} is unavailable: its circuit is open after repeated "
                "failures (calls fail fast; fallbacks take over)"
            )
        leased = used = 0
        recorded = False
        try:
            async with heartbeating(max(0.2, agent.heartbeat_s / 3)):
                leased = await limits.lease(call)  # waits here for tokens/minute, requests/second
                started = time.perf_counter()  # latency is the call's, not the wait for a slot
                try:
                    reply = await complete(call)
                    used = reply.usage.total_tokens
                except AgentCallError as exc:
                    paid = billed_usage(exc.details)
                    used = paid.total_tokens if paid is not None else 0
                    raise
                finally:
                    await limits.settle(call, leased, used)
        except LimiterUnavailable:
            raise  # not the provider's fault: the breakers do not count it
        except RetryableError:
            recorded = True
            for breaker in breakers:
                breaker.record(ok=False)
            raise
        except AgentCallError:
            recorded = True
            for breaker in breakers:  # the provider answered (e.g. invalid output, 4xx)
                breaker.record(ok=breaker.provider.startswith("provider"))
            raise
        else:
            recorded = True
            for breaker in breakers:
                breaker.record(ok=True)
        finally:
            if not recorded:  # cancelled, or no call made: a probe is given back
                for breaker in breakers:
                    breaker.release()
    except AgentCallError as exc:
        exc.details["attempt"] = activity.info().attempt
        if (paid := billed_usage(exc.details)) is not None:
            exc.details["cost_usd"] = round(agent.price.cost(paid), 8)
        logger.warning(
            "agent call failed: step=%s agent=%s error=%s retryable=%s: %s",
            call.step_id,
            agent.name,
            type(exc).__name__,
            exc.retryable,
            exc.message,
        )
        raise exc.to_application_error() from None
    return AgentResult(
        output=reply.output,
        usage=reply.usage,
        cost_usd=round(agent.price.cost(reply.usage), 8),
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        provider=agent.provider.name,
        model=reply.model,
        offline=reply.offline,
        finish_reason=reply.finish_reason,
        attempt=activity.info().attempt,
    )
