"""Reading a streamed chat completion (``stream: true``, server-sent events).

Each ``data:`` line is a chunk: text deltas go to the call's sink as they arrive, and the
chunks are put back together into the body a non-streamed request would have had
(content, tool calls, finish reason, usage, model), which the provider then parses and
validates like any other answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from podium.activities import secrets
from podium.activities.contracts import AgentCall
from podium.activities.errors import ProviderBadResponse, ProviderTransportError
from podium.activities.providers.prompt import build_messages, estimate_tokens
from podium.activities.streaming import TextSink

END_S = 1.0
"""How long the end of a body is awaited after ``[DONE]``."""


async def read_stream(response: httpx.Response, sink: TextSink, call: AgentCall) -> dict[str, Any]:
    """Read the event stream of ``response``, writing its text to ``sink``; return the
    completion it amounts to."""
    content: list[str] = []
    tools: dict[int, dict[str, Any]] = {}
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    lines = response.aiter_lines()
    done = False
    async for line in lines:
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        payload = line[5:].strip()
        if payload == "[DONE]":
            done = True
            await _read_to_end(lines)
            break
        try:
            chunk = json.loads(payload)
        except ValueError:
            raise ProviderBadResponse(
                f"provider {call.agent.provider.name!r} streamed a chunk that is not JSON: "
                f"{secrets.scrub(payload)[:200]!r}"
            ) from None
        if not isinstance(chunk, dict):
            continue
        if "error" in chunk:  # an error after the stream began (e.g. llama.cpp, LiteLLM)
            error = chunk["error"]
            said = error.get("message") if isinstance(error, dict) else error
            raise ProviderBadResponse(
                f"provider {call.agent.provider.name!r} broke off its answer: "
                f"{secrets.scrub(str(said))[:300]}"
            )
        model = chunk.get("model") or model
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                content.append(text)
                sink.write(text)
            for piece in delta.get("tool_calls") or []:
                _add_tool_piece(tools, piece)
            finish_reason = choice.get("finish_reason") or finish_reason
    if not done and finish_reason is None:  # closed cleanly, yet the answer never ended
        raise ProviderTransportError(
            f"provider {call.agent.provider.name!r} ended its stream before the answer was "
            "complete (no finish reason, no [DONE]): a proxy or connection cut it short"
        )
    if not usage:  # a server that does not report it when streaming: estimated
        prompt = "".join(str(m.get("content") or "") for m in build_messages(call))
        usage = {
            "prompt_tokens": estimate_tokens(prompt),
            "completion_tokens": estimate_tokens("".join(content)),
        }
    message: dict[str, Any] = {"content": "".join(content) if content or not tools else None}
    if tools:
        message["tool_calls"] = [tools[i] for i in sorted(tools)]
    return {
        "model": model,
        "choices": [{"message": message, "finish_reason": finish_reason}],
        "usage": usage,
    }


async def _read_to_end(lines: AsyncIterator[str]) -> None:
    """Read what follows ``[DONE]`` (the body's end, at once from a well-behaved server):
    a response read to its end gives its connection back to the pool for the next call;
    one that is not is closed. A server that lingers is not waited for."""
    try:
        async with asyncio.timeout(END_S):
            async for _ in lines:
                pass
    except (TimeoutError, httpx.HTTPError):
        pass  # the answer is whole all the same


def _add_tool_piece(tools: dict[int, dict[str, Any]], piece: Any) -> None:
    """Merge one streamed piece of a tool call (its id and name come first, then its
    arguments in fragments) into ``tools``."""
    if not isinstance(piece, dict):
        return
    entry = tools.setdefault(
        int(piece.get("index") or 0), {"id": None, "function": {"name": "", "arguments": ""}}
    )
    entry["id"] = piece.get("id") or entry["id"]
    function = piece.get("function") or {}
    entry["function"]["name"] += function.get("name") or ""
    entry["function"]["arguments"] += function.get("arguments") or ""
