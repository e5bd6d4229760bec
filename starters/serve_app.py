"""``podium serve``: runs for web and chat clients, over HTTP (a Starlette ASGI app).

    POST /runs               start a run of a spec, by name (``serve_runs``)
    POST /runs/{id}/tickets  a watch ticket for a browser (``serve_tickets``)
    GET  /runs/{id}/events   the run's events as server-sent events (text/event-stream)

Every request carries ``Authorization: Bearer <token>`` of a client of the clients file
(``serve_clients``), which names the specs the client may start and watch — except a
browser's ``EventSource``, which cannot send it: it reads one run's events with the
``?ticket=`` its page was handed (``POST /runs`` answers one for the run it starts). Each SSE
event is one ``RunEvent``: ``id`` its offset, ``event`` its kind, ``data`` its JSON. A
client that reconnects sends ``Last-Event-ID`` and gets exactly what came after it
(``?after=N`` does the same on a first connection); the stream ends after
``run.ended``, and asking again once nothing is left answers 204, which tells a
browser's ``EventSource`` to stop reconnecting. All the clients watching a run share one
read of it (``fanout``): a hundred tabs cost the run what one costs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Any

from podium.activities.errors import RunNotFound
from podium.activities.run_events import RunEvent
from podium.starters.fanout import IDLE_S, FeedFailed, RunFeeds
from podium.starters.launch import start_run
from podium.starters.runs import describe
from podium.starters.serve_clients import Clients, ServeClient
from podium.starters.serve_refusals import Refused, failed, refused, temporal_failed
from podium.starters.serve_runs import plan_for, read_request
from podium.starters.serve_tickets import Tickets
from podium.starters.web import console as web
from podium.starters.web.auth import NotAllowed, SignInNeeded, not_allowed, to_sign_in
from podium.starters.web.settings import ConsoleSettings
from podium.starters.web.templating import environments
from podium.workflows import search_attributes as sa
from podium.workflows.state import RunState
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError

PING_S = 15.0
"""Seconds between keep-alive comments on a quiet stream (proxies close idle ones)."""

log = logging.getLogger("podium.serve")


def build_app(
    client: Client,
    *,
    specs: Path,
    clients: Clients,
    cors_origins: Sequence[str] = (),
    idle_s: float = IDLE_S,
    ping_s: float = PING_S,
    tickets: Tickets | None = None,
    console: ConsoleSettings | None = None,
) -> ASGIApp:
    """The ``podium serve`` app.

    Args:
        client: the Temporal client runs are started and read with.
        specs: the folder whose specs ``POST /runs`` may name.
        clients: who may call (``load_clients``; ``Clients(None)``: anyone).
        cors_origins: browser origins allowed to call from other sites.
        idle_s: how long a run's feed goes on once nobody watches it.
        ping_s: seconds between keep-alive comments on a quiet stream.
        tickets: signs the browsers' watch tickets (default: ``Tickets()``).
        console: the console's settings: its pages at ``/console`` (``starters/web``),
            sessions, and CSRF protection of every form (None: no console).
    """
    feeds = RunFeeds(client, idle_s=idle_s)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        feeds.close()

    middleware = []
    if cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            )
        )
    routes: list[BaseRoute] = [
        Route("/runs", start, methods=["POST"]),
        Route("/runs/{run_id}/events", run_events, methods=["GET"]),
        Route("/runs/{run_id}/tickets", ticket_for, methods=["POST"]),
    ]
    handlers: dict[Any, Any] = {Refused: refused, RPCError: temporal_failed, Exception: failed}
    if console is not None:
        routes += web.routes()
        middleware.append(web.sessions(console))
        handlers[SignInNeeded] = to_sign_in
        handlers[NotAllowed] = not_allowed
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.client = client
    app.state.clients = clients
    app.state.specs = specs
    app.state.feeds = feeds
    app.state.ping_s = ping_s
    app.state.tickets = tickets or Tickets()
    if console is None:
        return app
    app.state.console = console
    app.state.console_templates = environments()
    return web.csrf_protected(app, console)


def _client_of(request: Request) -> ServeClient:
    header = request.headers.get("authorization")
    who = request.app.state.clients.identify(header)
    if who is not None:
        return who
    challenge = {"WWW-Authenticate": 'Bearer realm="podium"'}
    if not header:
        raise Refused(401, "send a client's token: Authorization: Bearer <token>", None, challenge)
    raise Refused(401, "the bearer token is not one of this server's clients'", None, challenge)


async def start(request: Request) -> Response:
    """``POST /runs``: start a run of a spec of the server's folder (``serve_runs``)."""
    who = _client_of(request)
    wanted = await read_request(request)
    state = request.app.state
    stored = state.client.data_converter.external_storage is not None
    plan = await plan_for(who, state.specs, wanted, stored=stored)
    handle = await start_run(state.client, plan, wanted.input, follow=True)
    log.info("client %s started run %s", who.name, handle.id)
    events = f"{request.scope.get('root_path', '')}/runs/{handle.id}/events"
    ticket = state.tickets.give(handle.id, who.name)
    return JSONResponse(
        {"run_id": handle.id, "events": events, "ticket": ticket},
        201,
        headers={"Location": events},
    )


async def ticket_for(request: Request) -> Response:
    """``POST /runs/{run_id}/tickets``: a ticket with which a browser reads this run's
    events (``?ticket=``), for a client allowed to watch it."""
    who = _client_of(request)
    run_id = request.path_params["run_id"]
    spec, _ = await _spec_of(request.app.state.client, run_id)
    if not who.allows(spec):
        raise Refused(403, f"client {who.name!r} may not watch runs of spec {spec!r}")
    tickets = request.app.state.tickets
    return JSONResponse({"ticket": tickets.give(run_id, who.name), "expires_in": tickets.ttl_s})


async def run_events(request: Request) -> Response:
    """``GET /runs/{run_id}/events``: the run's events after ``Last-Event-ID`` (or
    ``?after=``) as server-sent events, until the run has ended."""
    run_id = request.path_params["run_id"]
    who = _watcher(request, run_id)
    after = _after(request)
    spec, running = await _spec_of(request.app.state.client, run_id)
    if not who.allows(spec):
        raise Refused(403, f"client {who.name!r} may not watch runs of spec {spec!r}")
    events = request.app.state.feeds.events(run_id, after)
    first = None
    if not running:  # nothing will come that is not there: say so before streaming
        try:
            first = await anext(events, None)
        except (FeedFailed, RPCError, TemporalError) as exc:
            log.warning("reading the events of run %s failed: %s", run_id, exc)
            raise Refused(503, f"cannot read run {run_id}'s events now; try again") from None
        if first is None:
            return Response(status_code=204)
    return EventSourceResponse(_sse(run_id, events, first), ping=request.app.state.ping_s)


def _watcher(request: Request, run_id: str) -> ServeClient:
    """Who reads the run's events: the bearer token's client, or the ticket's."""
    ticket = request.query_params.get("ticket")
    if ticket is None:
        return _client_of(request)
    state = request.app.state
    name = state.tickets.check(ticket, run_id)
    who = state.clients.named(name) if name is not None else None
    if who is None:
        raise Refused(
            401,
            "the ticket is not valid for this run (expired, for another run, or from a "
            "server with another ticket key): ask the backend that gave it for a new one",
        )
    return who


def _after(request: Request) -> int | None:
    """The offset of the last event the client has: ``Last-Event-ID`` (a reconnect),
    else ``?after=``."""
    text = request.headers.get("last-event-id") or request.query_params.get("after") or ""
    if not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        value = -2
    if value < -1:
        raise Refused(400, f"Last-Event-ID / after must be an event's offset, got {text!r}")
    return value if value >= 0 else None


async def _spec_of(client: Client, run_id: str) -> tuple[str, bool]:
    """``(spec, running)`` of the run: its spec from the ``PodiumSpec`` search attribute
    (else its ``status`` query), and whether it is still going."""
    handle = client.get_workflow_handle(run_id)
    try:
        execution = await describe(handle)
    except RunNotFound:
        raise Refused(404, f"no run {run_id!r}") from None
    running = execution.status == WorkflowExecutionStatus.RUNNING
    spec = execution.typed_search_attributes.get(sa.SPEC)
    if spec is None:  # e.g. a child run started by its parent without the attribute
        try:
            spec = (await handle.query("status", result_type=RunState)).spec
        except (RPCError, TemporalError):
            raise Refused(404, f"{run_id!r} is not a Podium run") from None
    return spec, running


async def _sse(
    run_id: str, events: AsyncGenerator[RunEvent, None], first: RunEvent | None
) -> AsyncIterator[ServerSentEvent]:
    async with aclosing(events):
        try:
            if first is not None:
                yield _sse_event(first)
            async for event in events:
                yield _sse_event(event)
        except (FeedFailed, RPCError, TemporalError) as exc:  # the client reconnects
            log.warning("reading the events of run %s failed: %s", run_id, exc)


def _sse_event(event: RunEvent) -> ServerSentEvent:
    return ServerSentEvent(data=event.model_dump_json(), event=event.kind, id=str(event.offset))
