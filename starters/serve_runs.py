"""``POST /runs`` of ``podium serve``: a spec of the server's folder, by name, with an input.

    POST /runs {"spec": "support_triage", "input": {"name": "Siti", "message": "…"}}
    → 201 {"run_id": "support_triage-1a2b", "events": "/runs/support_triage-1a2b/events"}

The spec is ``<specs>/<name>.yaml`` (or ``.yml``), compiled for each request (an edited
spec is used at once) and its input checked as ``podium run`` checks it; the run starts
with ``follow`` (its agents stream their text from the first call). Each refusal is a
4xx with a specific message (``serve_refusals``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from podium.compiler.entries import Strict
from podium.compiler.inputs import check_input
from podium.compiler.problems import CompileError, Problem
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.validation_errors import translate
from podium.starters.payload_size import STORE_LIMIT, InputTooLarge, check_size
from podium.starters.serve_clients import ServeClient
from podium.starters.serve_refusals import Refused
from podium.workflows.plan import Plan
from pydantic import Field, ValidationError
from starlette.requests import Request

SPEC_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
"""A spec's name as a request gives it: a file name in the folder, never a path."""


class StartRequest(Strict):
    """The body of ``POST /runs``."""

    spec: str = Field(pattern=SPEC_NAME, max_length=200)
    input: dict[str, Any] = Field(default_factory=dict)


async def read_request(request: Request) -> StartRequest:
    """The request's body as a ``StartRequest`` (400 if it is not one; 413 if it is
    larger than any run input can be)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > STORE_LIMIT:
            raise Refused(413, f"the request body is over {STORE_LIMIT // 1_000_000} MB")
    try:
        value = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(400, f"the request body is not JSON: {exc}") from None
    try:
        return StartRequest.model_validate(value)
    except ValidationError as exc:
        problems = [
            Problem(e.message, where=_where(e.loc), hint=e.hint) for e in translate(exc.errors())
        ]
        raise Refused(
            400,
            'the request body must be {"spec": "<name>", "input": {...}}',
            problems,
        ) from None


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def find_spec(specs: Path, name: str) -> Path:
    """The file of spec ``name`` in the folder ``specs`` (404 if there is none)."""
    for suffix in (".yaml", ".yml"):
        path = specs / f"{name}{suffix}"
        if path.is_file():
            return path
    raise Refused(404, f"no spec named {name!r} on this server")


async def plan_for(who: ServeClient, specs: Path, wanted: StartRequest, *, stored: bool) -> Plan:
    """The compiled plan of the requested spec, its input checked.

    Args:
        who: the client asking (it must be allowed the spec).
        specs: the server's spec folder.
        wanted: the request.
        stored: the client has a payload store (larger inputs fit).
    """
    if not who.allows(wanted.spec):
        raise Refused(403, f"client {who.name!r} may not start runs of spec {wanted.spec!r}")
    path = find_spec(specs, wanted.spec)
    try:  # reads files (and may ask MCP servers): not on the event loop
        plan = await asyncio.to_thread(compile_spec, path)
    except CompileError as exc:
        raise Refused(422, f"spec {wanted.spec!r} does not compile", exc.problems) from None
    if not who.allows(plan.name):  # its `name:`, which its runs are known by, may differ
        raise Refused(403, f"client {who.name!r} may not start runs of spec {plan.name!r}")
    try:
        check_input(plan, wanted.input, "input")
    except CompileError as exc:
        raise Refused(
            422, f"the input does not match the input schema of spec {plan.name!r}", exc.problems
        ) from None
    try:
        check_size(plan, wanted.input, "the request", stored=stored)
    except InputTooLarge as exc:
        raise Refused(413, str(exc).splitlines()[0]) from None
    return plan
