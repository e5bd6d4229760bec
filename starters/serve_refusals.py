"""What ``podium serve`` answers when it does not do what was asked: a status and a JSON
body, ``{"error": "one line", "problems": [{"message", "where", "line", "hint"}, …]}`` —
never a traceback (that goes to the server's log, for an unexpected error only)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from podium.compiler.problems import Problem
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger("podium.serve")

_UNREACHABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


class Refused(Exception):
    """A request the server refuses: the HTTP status and what to tell the client."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: list[Problem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []
        self.headers = dict(headers or {})


def problem_json(problem: Problem) -> dict[str, Any]:
    """One problem for a client: what, where in the spec or input, the line, a hint (the
    server's file paths are not shown)."""
    found = {
        "message": problem.message,
        "where": problem.where,
        "file": problem.file.name if problem.file else None,
        "line": problem.line,
        "hint": problem.hint,
    }
    return {key: value for key, value in found.items() if value}


async def refused(request: Request, exc: Exception) -> Response:
    """The answer to a ``Refused`` request."""
    assert isinstance(exc, Refused)
    body: dict[str, Any] = {"error": exc.message}
    if exc.problems:
        body["problems"] = [problem_json(p) for p in exc.problems]
    return JSONResponse(body, exc.status, headers=exc.headers)


async def temporal_failed(request: Request, exc: Exception) -> Response:
    """The answer when Temporal refused or did not answer a call the request needed."""
    assert isinstance(exc, RPCError)
    if exc.status in _UNREACHABLE:
        log.warning("%s %s: Temporal did not answer: %s", request.method, request.url.path, exc)
        return JSONResponse({"error": "Temporal did not answer; try again"}, 503)
    log.error("%s %s: Temporal refused: %s", request.method, request.url.path, exc)
    return JSONResponse({"error": "internal error (logged by the server)"}, 500)


async def failed(request: Request, exc: Exception) -> Response:
    """The answer when handling a request raised unexpectedly (the server logs the
    traceback; the client is not sent it)."""
    return JSONResponse({"error": "internal error (logged by the server)"}, 500)
