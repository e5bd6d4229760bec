"""Model Context Protocol tools, through the official ``mcp`` SDK (``pip install
'podium[mcp]'``): a session to a server, and calling a tool (in the ``run_tool``
activity, with the call's idempotency key in the request's ``_meta``); listing a server's
tools when a spec is compiled is ``mcp_listing.py``.

A listing (the compiler) starts the server for that listing. Calls (the worker) share
one session per server and worker process, kept open while it is used (``IDLE_S``) and
started again if the server dies — starting a stdio server costs about half a second. A
stdio server gets only the variables it needs from the worker's environment (``PATH``,
``HOME``, …) and those its ``env:`` declares (``mcp_env.py``); its stderr is kept so a
server that cannot start is reported with what it said.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from podium.activities.errors import ToolNotConfigured, ToolUnavailable
from podium.activities.tool_contracts import ToolCallInput
from podium.activities.tools.mcp_env import server_env

logger = logging.getLogger(__name__)
TIMEOUT_S = 30.0
"""How long a server may take to start, list or answer."""


STRAY_OUTPUT = "wrote non-protocol output on stdout"
"""What the error of a server that printed something else than MCP messages says."""


class ToolRefused(Exception):
    """The server answered the call with an error (the model is told)."""


def _sdk() -> Any:
    try:
        import mcp
    except ImportError:
        raise ToolNotConfigured(
            "MCP tools need the mcp package: pip install 'podium[mcp]'"
        ) from None
    return mcp


@asynccontextmanager
async def session(
    command: Sequence[str] | None,
    url: str | None,
    stray: _StrayOutput | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Any]:
    """An initialised ``ClientSession`` to the server (stdio ``command``, started with
    ``env`` expanded, or ``url``); a line on its stdout that is not an MCP message is kept
    in ``stray``."""
    mcp = _sdk()
    import anyio

    where = " ".join(command) if command else str(url)
    variables = server_env(env, where) if command else None
    stray = stray or _StrayOutput(where)
    with tempfile.TemporaryFile("w+") as errlog:
        try:
            if command:
                from mcp.client.stdio import stdio_client

                params = mcp.StdioServerParameters(
                    command=command[0], args=list(command[1:]), env=variables
                )
                transport = stdio_client(params, errlog=errlog)
            else:
                from mcp.client.streamable_http import streamable_http_client

                transport = streamable_http_client(str(url))
            async with transport as streams, anyio.create_task_group() as watch:
                stray.scope = watch.cancel_scope
                read, write = streams[0], streams[1]
                watch_stdout = stray.seen if command else None  # HTTP errors are no stdout
                async with mcp.ClientSession(
                    read, write, read_timeout_seconds=TIMEOUT_S, message_handler=watch_stdout
                ) as s:
                    await s.initialize()
                    stray.started = True
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
            if stray.line is not None and not stray.started:
                raise ToolNotConfigured(stray.message()) from None
            errlog.seek(0)
            said = errlog.read().strip()[-500:]
            detail = f"; it said: {said}" if said else ""
            message = f"MCP server {where!r} failed: {type(cause).__name__}: {cause}{detail}"
            if _connection_lost(cause):
                raise ToolNotConfigured(message) from None
            raise ToolUnavailable(message) from None
        if stray.line is not None and not stray.started:  # cut short by it
            raise ToolNotConfigured(stray.message())


class _StrayOutput:
    """A line of the server's stdout that is not an MCP message (a banner, a ``print``):
    the SDK would log each with a traceback and go on — while a starting server waits for
    ``TIMEOUT_S`` if its reply was glued to one. Before the session is initialised the
    first such line ends it (the server is misconfigured); after that it is logged once
    and a call that then fails says so."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.line: str | None = None
        self.started = False
        self.scope: Any = None

    async def seen(self, message: Any) -> None:
        if not isinstance(message, Exception) or self.line is not None:
            return
        self.line = _offending_line(message)
        if not self.started and self.scope is not None:
            self.scope.cancel()
        elif self.started:
            logger.warning(self.message())

    def message(self) -> str:
        return (
            f"MCP server {self.where!r} {STRAY_OUTPUT}: {self.line!r}; servers must log to "
            "stderr (stdout carries only protocol messages)"
        )


def _offending_line(exc: Exception) -> str:
    """The server's line a parse error is about (pydantic keeps it as the input)."""
    errors = getattr(exc, "errors", None)
    found: Any = errors()[0].get("input") if callable(errors) and errors() else None
    text = found if isinstance(found, str) else json.dumps(found) if found else str(exc)
    return text if len(text) <= 200 else text[:200] + "…"


class _SkipParseErrors(logging.Filter):
    """Drops the SDK's log record (with a traceback) of each line ``_StrayOutput`` reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "Failed to parse JSONRPC message from server"


_sdk_log = logging.getLogger("mcp.client.stdio")
if not any(isinstance(f, _SkipParseErrors) for f in _sdk_log.filters):
    _sdk_log.addFilter(_SkipParseErrors())


def _innermost(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _connection_lost(exc: BaseException) -> bool:
    return "Connection closed" in str(exc) or isinstance(exc, EOFError)


async def call_mcp_tool(call: ToolCallInput) -> Any:
    """Call the tool; its structured result, else its text. An error answer raises
    ``ToolRefused`` (the model is told); a server that went away, ``ToolUnavailable``
    (retried: the next attempt starts it again)."""
    tool = call.tool
    kept = await _kept(tool.mcp_command, tool.mcp_url, tool.mcp_env)
    kept.used = time.monotonic()
    kept.calls += 1
    try:
        result = await kept.session.call_tool(
            tool.mcp_tool or tool.name,
            call.arguments,
            meta={"idempotency_key": call.idempotency_key},
        )
    except Exception as exc:  # noqa: BLE001 - a protocol error: tell the model
        if kept.stray.line is not None:  # its reply may be what was garbled
            kept.close()
            raise ToolNotConfigured(f"{kept.stray.message()}; then: {exc}") from None
        if kept.task.done() or _connection_lost(_innermost(exc)):
            kept.close()
            raise ToolUnavailable(  # it may have done the work before it went
                f"MCP server {kept.where!r} went away during the call: {exc}",
                outcome_unknown=True,
            ) from None
        raise ToolRefused(f"MCP tool {tool.mcp_tool!r}: {exc}") from None
    finally:
        kept.calls -= 1
        kept.used = time.monotonic()
    text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
    if result.is_error:
        raise ToolRefused(text or f"MCP tool {tool.mcp_tool!r} failed")
    if result.structured_content is not None:
        return result.structured_content
    try:
        return json.loads(text)
    except ValueError:
        return text


IDLE_S = 300.0
"""A kept session nobody used for this long is closed (its server stops)."""


class _Kept:
    """One server's session, owned by a task of its own (the SDK's transports must be
    opened and closed by the same task) and shared by every call of this process."""

    def __init__(
        self, command: Sequence[str] | None, url: str | None, env: dict[str, str] | None
    ) -> None:
        self.where = " ".join(command) if command else str(url)
        self.ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.stop = asyncio.Event()
        self.used = time.monotonic()
        self.calls = 0
        self.session: Any = None
        self.stray = _StrayOutput(self.where)
        self.task = asyncio.create_task(self._own(command, url, env))

    async def _own(
        self, command: Sequence[str] | None, url: str | None, env: dict[str, str] | None
    ) -> None:
        try:
            async with session(command, url, self.stray, env) as s:
                self.session = s
                self.ready.set_result(s)
                while not self.stop.is_set():
                    try:
                        await asyncio.wait_for(self.stop.wait(), IDLE_S / 10)
                    except TimeoutError:
                        if self.calls == 0 and time.monotonic() - self.used > IDLE_S:
                            break
        except asyncio.CancelledError:
            if not self.ready.done():
                self.ready.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - told to whoever waits for it
            if not self.ready.done():
                self.ready.set_exception(exc)
        finally:
            self.stop.set()

    def close(self) -> None:
        self.stop.set()


_sessions: dict[tuple[Any, ...], _Kept] = {}


async def _kept(
    command: Sequence[str] | None, url: str | None, env: dict[str, str] | None
) -> _Kept:
    """This process's session to the server, started (again) when there is none."""
    variables = tuple(sorted((env or {}).items()))
    key = (tuple(command or ()), url, variables, id(asyncio.get_running_loop()))
    kept = _sessions.get(key)
    if kept is None or kept.stop.is_set():
        kept = _sessions[key] = _Kept(command, url, env)
    try:
        await asyncio.shield(kept.ready)
    except BaseException:
        if _sessions.get(key) is kept and kept.ready.done():
            del _sessions[key]  # it did not start: the next call tries again
        raise
    return kept
