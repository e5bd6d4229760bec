"""Model Context Protocol tools, through the official ``mcp`` SDK (``pip install
'podium[mcp]'``): listing a server's tools (when a spec is compiled: the list is pinned
into the plan) and calling one (in the ``run_tool`` activity, with the call's
idempotency key in the request's ``_meta``).

A stdio server is started for each listing and each call, with only the variables it
needs from the worker's environment (``PATH``, ``HOME``, …); its stderr is kept so a
server that cannot start is reported with what it said.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from podium.activities.contracts import ToolCallInput
from podium.activities.errors import ToolNotConfigured, ToolUnavailable

TIMEOUT_S = 30.0
"""How long a server may take to start, list or answer."""


class ToolRefused(Exception):
    """The server answered the call with an error (the model is told)."""


@dataclass(frozen=True)
class ListedTool:
    name: str
    description: str
    parameters: dict[str, Any]


def _sdk() -> Any:
    try:
        import mcp
    except ImportError:
        raise ToolNotConfigured(
            "MCP tools need the mcp package: pip install 'podium[mcp]'"
        ) from None
    return mcp


@asynccontextmanager
async def session(command: Sequence[str] | None, url: str | None) -> AsyncIterator[Any]:
    """An initialised ``ClientSession`` to the server (stdio ``command`` or ``url``)."""
    mcp = _sdk()
    where = " ".join(command) if command else str(url)
    with tempfile.TemporaryFile("w+") as errlog:
        try:
            if command:
                from mcp.client.stdio import stdio_client

                params = mcp.StdioServerParameters(command=command[0], args=list(command[1:]))
                transport = stdio_client(params, errlog=errlog)
            else:
                from mcp.client.streamable_http import streamable_http_client

                transport = streamable_http_client(str(url))
            async with transport as streams:
                read, write = streams[0], streams[1]
                async with mcp.ClientSession(read, write, read_timeout_seconds=TIMEOUT_S) as s:
                    await s.initialize()
                    yield s
        except ToolRefused:
            raise
        except (FileNotFoundError, PermissionError) as exc:
            raise ToolNotConfigured(
                f"MCP server {where!r} cannot start: {exc.strerror or exc}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - the SDK wraps failures in groups
            cause = _innermost(exc)
            if isinstance(cause, ToolRefused):
                raise cause from None
            errlog.seek(0)
            said = errlog.read().strip()[-500:]
            detail = f"; it said: {said}" if said else ""
            message = f"MCP server {where!r} failed: {type(cause).__name__}: {cause}{detail}"
            if _connection_lost(cause):
                raise ToolNotConfigured(message) from None
            raise ToolUnavailable(message) from None


def _innermost(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _connection_lost(exc: BaseException) -> bool:
    return "Connection closed" in str(exc) or isinstance(exc, EOFError)


async def list_tools(command: Sequence[str] | None, url: str | None) -> list[ListedTool]:
    """Every tool the server offers."""
    async with session(command, url) as s:
        listed = (await s.list_tools()).tools
    return [
        ListedTool(t.name, t.description or "", dict(t.input_schema or {"type": "object"}))
        for t in listed
    ]


def list_tools_now(command: Sequence[str] | None, url: str | None) -> list[ListedTool]:
    """``list_tools`` from synchronous code (the compiler), even inside a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, list_tools(command, url)).result()


async def call_mcp_tool(call: ToolCallInput) -> Any:
    """Call the tool; its structured result, else its text. An error answer raises
    ``ToolRefused`` (the model is told)."""
    tool = call.tool
    async with session(tool.mcp_command, tool.mcp_url) as s:
        try:
            result = await s.call_tool(
                tool.mcp_tool or tool.name,
                call.arguments,
                meta={"idempotency_key": call.idempotency_key},
            )
        except Exception as exc:  # noqa: BLE001 - a protocol error: tell the model
            raise ToolRefused(f"MCP tool {tool.mcp_tool!r}: {exc}") from None
        text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
        if result.is_error:
            raise ToolRefused(text or f"MCP tool {tool.mcp_tool!r} failed")
        if result.structured_content is not None:
            return result.structured_content
        try:
            return json.loads(text)
        except ValueError:
            return text
