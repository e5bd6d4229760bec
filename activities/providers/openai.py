"""OpenAI-compatible Chat Completions over httpx (OpenAI, Azure, Ollama, vLLM, LiteLLM…).

No client-side retries: a failed request raises a classified error and Temporal
decides whether to try again. The API key is read from the worker's environment
at call time, by the variable name the catalog gives; it never enters history.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx
from podium.activities import secrets
from podium.activities.contracts import AgentCall, Usage
from podium.activities.errors import (
    AgentCallError,
    OutputSchemaError,
    OutputTruncated,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderNotConfigured,
    ProviderTimeout,
    ProviderTransportError,
)
from podium.activities.providers.http_status import error_for_status
from podium.activities.providers.prompt import build_messages, tool_definitions
from podium.activities.providers.reply import ProviderReply, host_of
from podium.activities.providers.sse import read_stream
from podium.activities.providers.structured import answered, structured_mode, weaker_mode
from podium.activities.streaming import text_sink
from podium.activities.tool_contracts import ToolCall
from podium.activities.validation import parse_output, unoffered_tool_calls

_clients: dict[str, httpx.AsyncClient] = {}
T = TypeVar("T")


def _client(base_url: str) -> httpx.AsyncClient:
    # One pooled client per base URL and worker process; keep-alive matters at fan-out.
    client = _clients.get(base_url)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
        )
        _clients[base_url] = client
    return client


def request_body(call: AgentCall, mode: str | None = None) -> dict[str, Any]:
    """The JSON body of the chat-completions request for ``call`` (structured output in
    ``mode``, default: what this worker knows the provider accepts)."""
    agent = call.agent
    body: dict[str, Any] = {
        "model": agent.model,
        "messages": build_messages(call),
        "max_tokens": agent.max_output_tokens,
    }
    mode = mode or structured_mode(agent.provider)
    if agent.output_schema is not None and mode == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": _schema_name(agent.name), "schema": agent.output_schema},
        }
    elif agent.output_schema is not None and mode == "json_object":
        body["response_format"] = {"type": "json_object"}
    tools = tool_definitions(call)
    if tools:
        body["tools"] = tools
        if agent.tool_choice is not None:
            body["tool_choice"] = tool_choice(agent.tool_choice)
    return body


def tool_choice(choice: str) -> str | dict[str, Any]:
    """The Chat Completions ``tool_choice`` of an agent's setting: ``auto``, ``required``
    and ``none`` as they are, a tool's name as that function."""
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _schema_name(agent_name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in agent_name)[:64] or "output"


def api_key_for(call: AgentCall) -> str | None:
    """The provider's API key from this worker's environment (None if it needs none)."""
    env = call.agent.provider.api_key_env
    if env is None:
        return None
    secrets.register(env)
    key = os.environ.get(env)
    if not key:
        raise ProviderNotConfigured(
            f"provider {call.agent.provider.name!r} needs environment variable {env} "
            "on the worker, and it is not set"
        )
    return key


async def complete(call: AgentCall) -> ProviderReply:
    """Send one chat-completions request and parse the answer.

    A request with a ``response_format`` that is answered with an error not about the
    key, the rate or time is sent again at once in the next weaker mode (``json_schema``
    → ``json_object`` → instructions only); when that is answered, this worker remembers
    the mode for the provider (``structured.py``: by behaviour, whatever the error says).
    """
    provider = call.agent.provider
    if not provider.base_url:
        raise ProviderNotConfigured(f"provider {provider.name!r} has no base_url")
    asked = mode = structured_mode(provider)
    sink = text_sink()  # someone watches the run: ask for the answer as it is written
    response = first = await _post(call, mode, sink is not None)
    has_schema = call.agent.output_schema is not None  # (else no response_format is sent)
    while response.status_code >= 400:
        weaker = weaker_mode(provider, mode, response.status_code, has_schema)
        if weaker is None:
            raise _http_error(first, call)  # the error of the request as the catalog asked
        mode = weaker
        response = await _post(call, mode, sink is not None)
    if has_schema:
        answered(provider, asked, first.status_code, mode)
    try:
        if sink is not None and response.headers.get("content-type", "").startswith(
            "text/event-stream"
        ):
            data = await _guarded(call, read_stream(response, sink, call))
            return _parse_completion(data, "", call)
        await _guarded(call, response.aread())  # (a server that does not stream: one piece)
    finally:  # a stream left at [DONE] or broken off: else its connection never goes back
        await response.aclose()
    return _parse_completion(_json(response), response.text, call)


async def _post(call: AgentCall, mode: str, stream: bool = False) -> httpx.Response:
    """Send the request; the response's body is read by the caller (``aread`` or the
    stream), except for an error status, whose body is read here."""
    provider = call.agent.provider
    assert provider.base_url is not None
    headers = {}
    key = api_key_for(call)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if call.idempotency_key:
        headers["Idempotency-Key"] = call.idempotency_key
    body = request_body(call, mode)
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    client = _client(provider.base_url)
    request = client.build_request(
        "POST",
        "chat/completions",
        json=body,
        headers=headers,
        timeout=httpx.Timeout(call.deadline_s, connect=min(10.0, call.deadline_s)),
    )
    response = await _guarded(call, client.send(request, stream=True))
    if response.status_code >= 400:
        await _guarded(call, response.aread())
    return response


async def _guarded(call: AgentCall, work: Awaitable[T]) -> T:
    """``work``'s result; httpx's timeouts and transport errors as classified errors."""
    provider = call.agent.provider
    where = host_of(provider.base_url or "")
    try:
        return await work
    except httpx.TimeoutException as exc:
        raise ProviderTimeout(
            f"no answer from provider {provider.name!r} at {where} within "
            f"{call.deadline_s:g} s ({_timeout_phase(exc)})"
        ) from None
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise ProviderTransportError(
            f"cannot talk to provider {provider.name!r} at {where}: {type(exc).__name__}: {reason}"
        ) from None


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "could not connect",
        httpx.ReadTimeout: "connected, but the answer did not come",
        httpx.WriteTimeout: "could not send the request",
        httpx.PoolTimeout: "no free connection in this worker's pool",
    }.get(type(exc), type(exc).__name__)


def _http_error(response: httpx.Response, call: AgentCall) -> AgentCallError:
    """The classified error of an HTTP error answer, naming the provider, its host and,
    for 401/403, the key variable to check."""
    provider = call.agent.provider
    error = error_for_status(response.status_code, _error_message(response), response.headers)
    error.message = (
        f"provider {provider.name!r} at {host_of(provider.base_url or '')} answered {error.message}"
    )
    if isinstance(error, ProviderAuthError):
        error.message += (
            f" — check the key in {provider.api_key_env} on the worker"
            if provider.api_key_env
            else " — the provider wants a key: set api_key_env in the catalog"
        )
    return error


def _error_message(response: httpx.Response) -> str:
    """The provider's error text, scrubbed of secrets before it is cut (a key cut in half
    could no longer be recognised)."""
    try:
        err = response.json().get("error", {})
        if isinstance(err, dict) and err.get("message"):
            return secrets.scrub(str(err["message"]))[:500]
    except (ValueError, AttributeError):
        pass
    return secrets.scrub(response.text)[:300] or response.reason_phrase


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _parse_completion(data: Any, body: str, call: AgentCall) -> ProviderReply:
    """The reply of a chat completion ``data`` (``body``: the text it came as, quoted if
    it is not one)."""
    try:
        choice = data["choices"][0]
        content = choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        snippet = secrets.scrub(body)[:200]
        raise ProviderBadResponse(
            f"provider {call.agent.provider.name!r} sent a body that is not a chat "
            f"completion: {snippet!r}"
        ) from None
    usage_data = data.get("usage") or {}
    usage = Usage(
        input_tokens=int(usage_data.get("prompt_tokens") or 0),
        output_tokens=int(usage_data.get("completion_tokens") or 0),
    )
    if content is not None and not isinstance(content, str):
        content = json.dumps(content)
    finish_reason = choice.get("finish_reason")
    calls = _tool_calls(choice["message"].get("tool_calls"), call)
    if calls and not tool_definitions(call):  # none offered: an invalid answer, repaired
        exc = unoffered_tool_calls(calls, content, call.agent.name, call.agent.output_schema)
        exc.details["usage"] = usage.model_dump()  # billed all the same
        raise exc
    if calls:
        return ProviderReply(
            output=None,
            model=str(data.get("model") or call.agent.model),
            usage=usage,
            finish_reason=finish_reason,
            tool_calls=calls,
            text=(content.strip() or None) if content else None,
        )
    try:
        output = parse_output(content, call.agent.output_schema)
    except OutputSchemaError as exc:
        if finish_reason == "length":  # not a wrong answer: an unfinished one
            exc = OutputTruncated(
                f"the answer was cut at the token limit (max_output_tokens="
                f"{call.agent.max_output_tokens} for agent {call.agent.name!r}): raise "
                "max_output_tokens or ask for a shorter answer",
                content=exc.details.get("content", ""),
                errors=["the answer was cut off at the token limit: give a shorter answer"],
            )
        exc.details["usage"] = usage.model_dump()  # billed all the same: budgets count it
        raise exc from None
    return ProviderReply(
        output=output,
        model=str(data.get("model") or call.agent.model),
        usage=usage,
        finish_reason=finish_reason,
    )


def _tool_calls(raw: Any, call: AgentCall) -> list[ToolCall]:
    """The tool calls in an answer; arguments that are not a JSON object become
    ``{"_invalid": "<text>"}`` so the loop tells the model (it fails their schema)."""
    calls = []
    for i, item in enumerate(raw or []):
        function = item.get("function") or {} if isinstance(item, dict) else {}
        text = function.get("arguments") or "{}"
        try:
            arguments = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            arguments = {"_invalid": str(text)[:500]}
        calls.append(
            ToolCall(
                id=str(item.get("id") or f"call_{i}"),
                name=str(function.get("name") or ""),
                arguments=arguments,
            )
        )
    return calls
