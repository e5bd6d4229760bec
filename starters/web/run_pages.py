"""The console's run pages.

    /console/runs              runs by spec, status, market and who they wait on, newest
                               first, a page at a time (``run_search``)
    /console/runs/{id}         one run: its plan with the step at work lit, each step's
                               status, the text being written, tool calls, supervisor
                               decisions, cost, a link to the Temporal Web UI
    /console/runs/{id}/live    the run page's parts as they change: server-sent events,
                               each a part of the page rendered on the server (htmx's SSE
                               extension swaps it in), ending with the run

The run page is complete without JavaScript (rendered from the run's events so far); with
it, the page connects to ``/live`` after the last event it was rendered from. Every text
an agent, a tool or a person wrote is escaped by the templates, and the pages forbid inline
scripts (``Content-Security-Policy``) besides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from podium.activities.errors import RunNotFound
from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.activities.run_events import RunEvent
from podium.starters.fanout import FeedFailed
from podium.starters.request_view import words
from podium.starters.runs import describe, started_with
from podium.starters.web.auth import signed_in
from podium.starters.web.live_run import PARTS, LiveRun, events_so_far
from podium.starters.web.run_search import (
    STATUSES,
    BadFilter,
    RunFilter,
    RunRow,
    run_status,
    runs_page,
)
from podium.starters.web.templating import POLICY, render
from podium.workflows import search_attributes as sa
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from temporalio.client import WorkflowExecution, WorkflowExecutionStatus
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

READ_S = 10.0
"""How long the run page waits for the run's events (a worker answers the Query)."""

log = logging.getLogger("podium.serve")


def routes() -> list[BaseRoute]:
    """The run pages' routes (inside ``/console``)."""
    return [
        Route("/runs", runs_list, name="console_runs"),
        Route("/runs/{run_id}", run_page, name="console_run"),
        Route("/runs/{run_id}/live", run_live, name="console_run_live"),
    ]


async def runs_list(request: Request) -> Response:
    """Runs matching the filters, newest first, a page at a time."""
    signed_in(request)
    params = request.query_params
    problem: str | None = None
    rows: list[RunRow] = []
    following = ""
    try:
        wanted = RunFilter.of(params)
        rows, following = await runs_page(request.app.state.client, wanted, params.get("page", ""))
    except BadFilter as exc:
        wanted, problem = RunFilter(), str(exc)
    except RPCError as exc:  # a page token of another query; an attribute not registered
        if exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        wanted, problem = RunFilter(), exc.message
    specs = sorted(path.stem for path in request.app.state.specs.glob("*.yaml"))
    return _safe(
        render(
            request,
            "runs.html",
            status=400 if problem else 200,
            wanted=wanted,
            rows=rows,
            following=following,
            problem=problem,
            statuses=STATUSES,
            specs=specs,
            paged=bool(params.get("page")),
            now=datetime.now(UTC),
        )
    )


async def run_page(request: Request) -> Response:
    """One run as its events so far tell it (the live stream goes on from there)."""
    signed_in(request)
    run_id = request.path_params["run_id"]
    client = request.app.state.client
    try:
        live, execution = await _run(request, run_id)
    except RunNotFound:
        return render(request, "missing.html", status=404, what=run_id)
    unread = None
    try:
        for event in await asyncio.wait_for(events_so_far(client, run_id), READ_S):
            live.add(event)
    except UnknownEncryptionKey as exc:
        unread = str(exc.reading(f"run {run_id}"))
    except (TemporalError, RPCError, TimeoutError) as exc:  # e.g. no worker answers
        log.warning("reading the events of run %s failed: %s", run_id, exc)
        unread = "no worker answered"
    _closed(live, execution)
    return _safe(render(request, "run.html", unread=unread, **_parts_context(request, live)))


async def run_live(request: Request) -> Response:
    """The run page's parts as the run's events change them, after offset ``after``
    (``Last-Event-ID`` on a reconnect), until the run ends (then ``end``)."""
    signed_in(request)
    run_id = request.path_params["run_id"]
    text = request.headers.get("last-event-id") or request.query_params.get("after") or "-1"
    try:
        after = int(text)
    except ValueError:
        return Response(f"after must be an event's offset, got {text!r}\n", status_code=400)
    try:
        live, _ = await _run(request, run_id)
    except RunNotFound:
        return Response(f"no run {run_id!r}\n", status_code=404)
    events = request.app.state.feeds.events(run_id, None)
    stream = _live_parts(request, live, events, after)
    return EventSourceResponse(stream, ping=request.app.state.ping_s)


async def _run(request: Request, run_id: str) -> tuple[LiveRun, WorkflowExecution]:
    """The run's page picture before any event (its plan, market, start), and what
    Temporal says of it."""
    client = request.app.state.client
    handle = client.get_workflow_handle(run_id)
    execution = await describe(handle)
    try:
        started = await started_with(client, handle)
    except UnknownEncryptionKey:
        started = None  # (the page says so: its events cannot be read either)
    live = LiveRun(run_id, started.plan if started is not None else None)
    live.picture.spec = execution.typed_search_attributes.get(sa.SPEC) or ""
    live.market = execution.typed_search_attributes.get(sa.MARKET) or ""
    live.started_at = execution.start_time
    return live, execution


def _closed(live: LiveRun, execution: WorkflowExecution) -> None:
    """A run Temporal closed whose stream never said it ended (terminated, timed out)."""
    if not live.ended and execution.status != WorkflowExecutionStatus.RUNNING:
        live.closed = run_status(execution)


async def _live_parts(
    request: Request,
    live: LiveRun,
    events: AsyncGenerator[RunEvent, None],
    after: int,
) -> AsyncIterator[ServerSentEvent]:
    """Each change after ``after`` as the parts it changed, rendered; what arrived
    together is sent together (a fast writer's text costs one part per batch)."""
    arrived: asyncio.Queue[RunEvent | BaseException | None] = asyncio.Queue()

    async def read() -> None:
        try:
            async with aclosing(events):
                async for event in events:
                    arrived.put_nowait(event)
        except (FeedFailed, RPCError, TemporalError) as exc:
            arrived.put_nowait(exc)
        finally:
            arrived.put_nowait(None)

    reader = asyncio.create_task(read(), name=f"console live: {live.run_id}")
    try:
        done = False
        while not done:
            batch = [await arrived.get()]
            while not arrived.empty():
                batch.append(arrived.get_nowait())
            changed: set[str] = set()
            for item in batch:
                if isinstance(item, RunEvent):
                    parts = live.add(item)
                    changed |= parts if item.offset > after else set()
                elif item is not None:  # the browser reconnects with Last-Event-ID
                    log.warning("reading the events of run %s failed: %s", live.run_id, item)
                    return
                else:
                    done = True
            if done and not live.ended:  # the stream stopped: has Temporal closed the run?
                handle = request.app.state.client.get_workflow_handle(live.run_id)
                _closed(live, await describe(handle))
                changed |= set(PARTS) if live.ended else set()
            context = _parts_context(request, live)
            for part in (p for p in PARTS if p in changed):
                page = render(request, f"run/{part}.html", **context)
                yield ServerSentEvent(
                    data=bytes(page.body).decode(), event=part, id=str(live.last_offset)
                )
            if live.ended:
                yield ServerSentEvent(data=live.status, event="end", id=str(live.last_offset))
                return
    finally:
        reader.cancel()
        with suppress(asyncio.CancelledError):
            await reader


def _parts_context(request: Request, live: LiveRun) -> dict[str, Any]:
    """What the run page and its parts are rendered with."""
    settings = request.app.state.console
    ui = settings.temporal_ui.rstrip("/")
    return {
        "live": live,
        "run_id": live.run_id,
        "words": words,
        "temporal_link": (
            f"{ui}/namespaces/{quote(settings.namespace, safe='')}"
            f"/workflows/{quote(live.run_id, safe='')}"
        ),
    }


def _safe(response: Response) -> Response:
    """``response`` with the run pages' Content-Security-Policy."""
    response.headers["Content-Security-Policy"] = POLICY
    return response
