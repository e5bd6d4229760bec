"""The ``run_agent`` activity: exactly one model request per activity execution."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

from podium.activities import endpoints, kept_answers, limits, pending_answers, spend
from podium.activities.circuit import breaker_for
from podium.activities.contracts import AgentCall, AgentResult, FailureDetails
from podium.activities.errors import (
    AgentCallError,
    AnswerTooLarge,
    InternalError,
    LimiterUnavailable,
    ProviderNotConfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RetryableError,
)
from podium.activities.guards import hooks as guards
from podium.activities.heartbeat import heartbeating
from podium.activities.payloads.limits import HINT, PAYLOAD_LIMIT, megabytes, oversized
from podium.activities.providers import PROVIDER_KINDS
from podium.activities.providers.reply import ProviderReply, host_of
from podium.activities.secrets import scrub, scrub_value
from podium.activities.streaming import TextSink
from podium.activities.telemetry import observe_agent_call
from temporalio import activity
from temporalio.exceptions import ApplicationError

logger = logging.getLogger("podium.agent")


@activity.defn(name="podium.run_agent")
async def run_agent(call: AgentCall) -> AgentResult:
    """Call the agent's model once; return output, usage, cost, latency and model used.

    Failures are raised as Temporal ``ApplicationError`` whose ``type`` is the
    taxonomy class name (see ``activities.errors``) and whose retryability follows it.
    The call is traced (GenAI span, when tracing is on) and measured (``podium_*`` metrics).
    An answer is kept on this worker for a while: the same attempt run again here (its
    report was lost) gets it without a new provider call (``kept_answers``). A large
    answer is in the payload store before this returns: while the store is down it waits
    on this worker (``pending_answers``). Under spend windows (catalog ``policy: spend``)
    the call's worst case is reserved before it is sent and settled after (``spend``).
    """
    async with TextSink.of(guards.streamable(call)) as sink:  # the text as it is written
        answer = kept_answers.kept()
        if isinstance(answer, AgentResult):  # run again after its report was lost: from here
            answer = answer.model_copy(update={"worker_retries": activity.info().attempt - 1})
        else:
            async with spend.reserved(call) as held:  # the run's spend windows, if any
                with observe_agent_call(call) as outcome:
                    try:
                        outcome.result = await _call_once(call)
                    except BaseException:
                        sink.retract()
                        raise
                answer = outcome.result
                held.charge(answer)
            kept_answers.keep(answer, 4 * answer.usage.output_tokens)  # (its size, roughly)
        sink.settle(answer)
    what = f"agent {call.agent.name!r} (step {call.step_id!r})"
    return await pending_answers.stored(answer, what, call.agent.heartbeat_s)


async def _call_once(call: AgentCall) -> AgentResult:
    agent = call.agent
    complete = PROVIDER_KINDS.get(agent.provider.kind)
    started = time.perf_counter()
    try:
        call = endpoints.for_call(call)  # the worker's endpoint and key variable, ${VAR} expanded
        call, guarded = guards.screen_call(call)  # what the provider may see (guard: input)
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
                    reply = await _within_deadline(complete(call), call)
                    used = reply.usage.total_tokens
                except AgentCallError as exc:
                    paid = FailureDetails.of(exc.details).billed()
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
        reply, answered = guards.screen_reply(call, reply)  # what may be stored (guard: output)
    except AgentCallError as exc:
        raise _failure(call, exc) from None
    except Exception as exc:  # a bug or an unchecked setting: say so once, never retry it
        logger.error("agent call hit an unexpected error", exc_info=True)
        error = InternalError(f"unexpected {type(exc).__name__} in the worker: {exc}")
        raise _failure(call, error) from None
    result = AgentResult(
        output=reply.output,
        usage=reply.usage,
        cost_usd=round(agent.price.cost(reply.usage), 8),
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        provider=agent.provider.name,
        model=reply.model,
        offline=reply.offline,
        finish_reason=reply.finish_reason,
        attempt=call.attempt,
        worker_retries=activity.info().attempt - 1,
        tool_calls=reply.tool_calls,
        text=reply.text,
        guarded=guarded + answered,
    )
    size = oversized(result)
    if size is not None:
        too_big = AnswerTooLarge(
            f"agent {agent.name!r} (step {call.step_id!r}) answered {megabytes(size)}; "
            f"Temporal refuses payloads over {megabytes(PAYLOAD_LIMIT)} and this worker has "
            f"no payload store.\nhint: {HINT}; or ask for a shorter answer "
            "(max_output_tokens, the prompt)"
        )
        raise _failure(call, too_big) from None
    return result


def _failure(call: AgentCall, exc: AgentCallError) -> ApplicationError:
    """The Temporal failure of a failed call: scrubbed, with attempt and billed cost, and
    logged as one line."""
    exc.message = scrub(exc.message)  # a provider may quote the key back
    exc.details = scrub_value(exc.details)
    exc.details["attempt"] = call.attempt
    if (paid := FailureDetails.of(exc.details).billed()) is not None:
        exc.details["cost_usd"] = round(call.agent.price.cost(paid), 8)
    logger.warning(
        "agent call failed: step=%s agent=%s attempt=%d error=%s retryable=%s: %s",
        call.step_id,
        call.agent.name,
        call.attempt,
        type(exc).__name__,
        exc.retryable,
        exc.message,
    )
    return exc.to_application_error()


async def _within_deadline(request: Awaitable[ProviderReply], call: AgentCall) -> ProviderReply:
    """The provider's answer, or ``ProviderTimeout`` once the call's timeout has passed.

    The deadline is counted from the request (after any wait for a rate-limit slot) and
    lies inside the activity's own timeouts, so a slow model ends as a classified,
    retried error rather than a Temporal timeout that hides the reason.
    """
    try:
        async with asyncio.timeout(call.deadline_s):
            return await request
    except TimeoutError:
        provider = call.agent.provider
        where = f" at {host_of(provider.base_url)}" if provider.base_url else ""
        raise ProviderTimeout(
            f"no answer from provider {provider.name!r}{where} within {call.deadline_s:g} s "
            f"(agent {call.agent.name!r}; raise the step's or agent's timeout: if the model "
            "is slow)"
        ) from None
