"""The ``run_tool`` activity: one tool call, with its idempotency key.

What retrying can fix (a connection refused, HTTP 408/409/429/5xx, a function raising
``ToolUnavailable``, ``TimeoutError`` or ``ConnectionError``) is raised as the retryable
``ToolUnavailable`` and Temporal retries it with the tool's retry policy. What it cannot
(HTTP 4xx, a function raising anything else) comes back as ``ToolOutcome.error``: the
model reads it and may try something else. The idempotency key reaches the tool —
``Idempotency-Key`` header (HTTP), an ``idempotency_key`` parameter if the function takes
one, ``_meta.idempotency_key`` (MCP) — so a repeated side effect can be recognised.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import time
from typing import Any
from urllib.parse import quote

import httpx
from podium.activities import kept_answers, limits, pending_answers, secrets
from podium.activities.errors import (
    GuardTripped,
    LimiterUnavailable,
    ToolNotConfigured,
    ToolUnavailable,
)
from podium.activities.guards import hooks as guards
from podium.activities.heartbeat import heartbeating
from podium.activities.payloads.limits import HINT, megabytes, oversized, payload_bytes
from podium.activities.providers.function import load_function
from podium.activities.providers.http_status import worth_retrying
from podium.activities.telemetry import observe_tool_call
from podium.activities.tool_contracts import ToolCallInput, ToolOutcome, ToolSpec
from podium.activities.tools.allowed import refusal
from temporalio import activity

HEARTBEAT_S = 5.0
"""The tool activity's heartbeat timeout: a call cut off by a dying worker is retried
after this, not after its whole timeout."""
RESULT_LIMIT = 64 * 1024
"""Characters of a tool's text answer kept (a model reads the start of a huge page)."""
_client: httpx.AsyncClient | None = None


@activity.defn(name="podium.run_tool")
async def run_tool(call: ToolCallInput) -> ToolOutcome:
    """Run one tool call. Its outcome is kept on this worker for a while, so the same
    activity run again here after its report was lost does not call the tool again
    (``kept_answers``); a large one is in the payload store before this returns, waiting
    on this worker while the store is down (``pending_answers``)."""
    outcome = kept_answers.kept()
    if not isinstance(outcome, ToolOutcome):
        outcome = await _outcome(call)
        kept_answers.keep(outcome, payload_bytes(outcome))
    what = f"tool {call.tool.name!r} (step {call.step_id!r})"
    return await pending_answers.stored(outcome, what, HEARTBEAT_S)


async def _outcome(call: ToolCallInput) -> ToolOutcome:
    try:
        return await _guarded(call)
    except GuardTripped as exc:  # its guard blocked the arguments or the result
        raise exc.to_application_error() from None


async def _guarded(call: ToolCallInput) -> ToolOutcome:
    """The call with its guard: arguments screened before the tool gets them, the result
    (or the error the model is told) before the model reads it."""
    call, guarded = guards.screen_arguments(call)
    outcome = await _called(call)
    if outcome.error is not None:
        error, noted = guards.screen_result(call, outcome.error)
        return outcome.model_copy(update={"error": error, "guarded": guarded + noted})
    content, noted = guards.screen_result(call, outcome.content)
    return outcome.model_copy(update={"content": content, "guarded": guarded + noted})


async def _called(call: ToolCallInput) -> ToolOutcome:
    started = time.perf_counter()
    refused = refusal(call.tool)
    if refused is not None:
        raise ToolNotConfigured(refused).to_application_error()
    try:
        with observe_tool_call(call):  # an execute_tool span, when tracing is on
            async with heartbeating(HEARTBEAT_S / 3):  # a dead worker is noticed in seconds
                content = (
                    await _limited(call) if call.tool.requests_per_second else await _answered(call)
                )
    except LimiterUnavailable as exc:
        raise _unavailable(ToolUnavailable(str(exc))) from None
    except ToolUnavailable as exc:
        raise _unavailable(exc) from None
    except ToolNotConfigured as exc:
        raise exc.to_application_error() from None
    except _TellTheModel as told:
        return ToolOutcome(error=secrets.scrub(str(told)), latency_ms=_ms(started))
    outcome = ToolOutcome(content=content, latency_ms=_ms(started))
    size = oversized(outcome)
    if size is not None:  # done, but its answer cannot travel: tell the model, no retry
        return ToolOutcome(
            error=f"tool {call.tool.name!r} answered {megabytes(size)}, over Temporal's payload "
            f"limit without a payload store; {HINT}",
            latency_ms=outcome.latency_ms,
        )
    return outcome


def _unavailable(exc: ToolUnavailable) -> BaseException:
    """``exc`` as the activity's failure; ``outcome_unknown`` if an earlier run of this
    attempt was cut off (Temporal runs an attempt again only when its worker died or lost
    it), since that one may have done the work."""
    if activity.in_activity() and activity.info().attempt > 1:
        exc.details["outcome_unknown"] = True
    return exc.to_application_error()


def _sent_unanswered(message: str) -> ToolUnavailable:
    """The request went out and no answer came: it may have been done."""
    return ToolUnavailable(message, outcome_unknown=True)


SLOT_WAIT_S = 600.0
"""A rate-limited tool's activity may wait this long for its slot before the call's own
``timeout`` starts (``call_tool`` allows for it)."""


async def _limited(call: ToolCallInput) -> Any:
    """Wait for the tool's slot, then call it within its timeout (counted from the slot)."""
    try:
        await asyncio.wait_for(limits.lease_tool(call), SLOT_WAIT_S)
    except TimeoutError:
        raise ToolUnavailable(
            f"tool {call.tool.name!r} (requests_per_second: {call.tool.requests_per_second:g}) "
            f"had no free slot within {SLOT_WAIT_S:g}s"
        ) from None
    return await _answered(call)


async def _answered(call: ToolCallInput) -> Any:
    """The tool's answer within its timeout."""
    try:
        return await asyncio.wait_for(_run(call), call.tool.timeout_s)
    except TimeoutError:
        raise _sent_unanswered(
            f"tool {call.tool.name!r} did not answer within {call.tool.timeout_s:g}s"
        ) from None


async def _run(call: ToolCallInput) -> Any:
    if call.tool.kind == "function":
        return await _function(call)
    if call.tool.kind == "http":
        return await _http(call)
    from podium.activities.tools.mcp import ToolRefused, call_mcp_tool

    try:
        return await call_mcp_tool(call)
    except ToolRefused as refused:
        raise _TellTheModel(str(refused)) from None


class _TellTheModel(Exception):
    """A failure the model should read (not worth retrying)."""


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


async def _function(call: ToolCallInput) -> Any:
    tool = call.tool
    try:
        fn = load_function(tool.function or "")
    except Exception as exc:  # noqa: BLE001 - reported as the tool's configuration
        raise ToolNotConfigured(f"tool {tool.name!r}: {exc}") from None
    arguments = dict(call.arguments)
    if "idempotency_key" in inspect.signature(fn).parameters:
        arguments["idempotency_key"] = call.idempotency_key
    try:
        if inspect.iscoroutinefunction(fn):
            result = await fn(**arguments)
        else:
            result = await asyncio.to_thread(fn, **arguments)
    except (ToolUnavailable, TimeoutError, ConnectionError) as exc:
        raise ToolUnavailable(f"tool {tool.name!r}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the model is told and may try otherwise
        raise _TellTheModel(f"tool {tool.name!r} failed: {type(exc).__name__}: {exc}") from None
    if hasattr(result, "model_dump"):
        result = result.model_dump(mode="json")
    return json.loads(json.dumps(result, default=str))  # plain JSON: it goes into history


async def _http(call: ToolCallInput) -> Any:
    tool = call.tool
    arguments = dict(call.arguments)
    url = _fill(tool, arguments)
    headers = {"Idempotency-Key": call.idempotency_key} if call.idempotency_key else {}
    if tool.auth_env:
        secrets.register(tool.auth_env)
        token = os.environ.get(tool.auth_env)
        if not token:
            raise ToolNotConfigured(
                f"tool {tool.name!r} needs environment variable {tool.auth_env} on the worker, "
                "and it is not set"
            )
        headers[tool.auth_header] = f"{tool.auth_scheme} {token}".strip()
    method = tool.method.upper()
    with_body = method in ("POST", "PUT", "PATCH")
    try:
        response = await _http_client().request(
            method,
            url,
            headers=headers,
            timeout=tool.timeout_s,
            json=arguments if with_body else None,
            params=None if with_body else arguments,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:  # not sent
        raise ToolUnavailable(
            f"tool {tool.name!r}: cannot reach {httpx.URL(url).host}: {type(exc).__name__}"
        ) from None
    except httpx.TransportError as exc:  # sent, or partly: no answer
        raise _sent_unanswered(
            f"tool {tool.name!r}: no answer from {httpx.URL(url).host}: {type(exc).__name__}"
        ) from None
    if worth_retrying(response.status_code):
        raise ToolUnavailable(
            f"tool {tool.name!r} answered HTTP {response.status_code}: {_snippet(response)}"
        )
    if response.status_code >= 400:
        raise _TellTheModel(
            f"tool {tool.name!r} refused the call: HTTP {response.status_code}: "
            f"{_snippet(response)}"
        )
    try:
        return response.json()
    except ValueError:
        return response.text[:RESULT_LIMIT]


def _fill(tool: ToolSpec, arguments: dict[str, Any]) -> str:
    """The URL with ``{name}`` filled (and those arguments taken out of the body)."""
    url = tool.url or ""
    for name in list(arguments):
        token = "{" + name + "}"
        if token in url:
            value = str(arguments.pop(name))
            if value in ("", ".", ".."):  # would change the path, not fill a segment
                raise _TellTheModel(f"argument {name!r} of tool {tool.name!r} may not be {value!r}")
            url = url.replace(token, quote(value, safe=""))
    return url


def _snippet(response: httpx.Response) -> str:
    return secrets.scrub(response.text)[:300] or response.reason_phrase


def _http_client() -> httpx.AsyncClient:
    global _client
    if _client is None or _client.is_closed:
        _client = httpx.AsyncClient(follow_redirects=False)
    return _client
