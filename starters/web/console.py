"""``podium console``: pages for the people who answer runs — mounted at ``/console`` in
the same app as ``podium serve`` (``serve_app.build_app(console=…)``).

    /console                     → the inbox
    /console/inbox               what waits on me, by deadline
    /console/runs/{id}/requests/{request}   one request, and the form that answers it
    /console/glance              runs per spec, agent and market (``glance.py``)
    /console/runs, /runs/{id}    runs by spec, status, market; one run, live (``run_pages.py``)
    /console/sign-in, /sign-out  (``signin.py``)
    /console/static/…            htmx and the stylesheet, shipped in the package

Pages are rendered on the server (``templating``), every form carries a CSRF token
(``asgi-csrf``, wrapped around the whole app in ``serve_app``), and a decision is sent as
the run's ``decide`` Update — the run's validator says whether this person may decide.
"""

from __future__ import annotations

from datetime import UTC, datetime

from asgi_csrf import asgi_csrf
from podium.starters.humans import send_decision
from podium.starters.open_requests import pending_requests
from podium.starters.runs import RunNotFound, read_run
from podium.starters.web import glance, run_pages, signin, spec_pages, spec_versions
from podium.starters.web.auth import signed_in
from podium.starters.web.decisions import BadAnswer, ahead, decision_from
from podium.starters.web.settings import ConsoleSettings
from podium.starters.web.templating import HERE, render
from podium.workflows.humans import OUTCOMES
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from temporalio.client import WorkflowUpdateFailedError


def sessions(settings: ConsoleSettings) -> Middleware:
    """Signed session cookies for the console's people (they expire with the session)."""
    return Middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie="podium_session",
        max_age=settings.session_s,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )


def csrf_protected(app: ASGIApp, settings: ConsoleSettings) -> ASGIApp:
    """``app`` with every form's CSRF token checked (double-submit cookie, signed with the
    console's secret). Requests with a bearer token (API clients) are not forms."""
    return asgi_csrf(  # type: ignore[no-any-return]
        app,
        signing_secret=settings.secret,
        cookie_secure=settings.base_url.startswith("https://"),
        always_protect={"/console/sign-in"},
    )


def routes() -> list[BaseRoute]:
    """The console's routes (mounted at ``/console``)."""
    return [
        Mount(
            "/console",
            routes=[
                Route("/", home, name="console_home"),
                Route("/inbox", inbox, name="console_inbox"),
                *signin.routes(),
                *glance.routes(),
                *run_pages.routes(),
                *spec_pages.routes(),
                *spec_versions.routes(),
                Route(
                    "/runs/{run_id}/requests/{request_id}",
                    request_page,
                    methods=["GET", "POST"],
                    name="console_request",
                ),
                Mount("/static", StaticFiles(directory=HERE / "static"), name="console_static"),
            ],
        )
    ]


async def home(request: Request) -> Response:
    """The console's front door: the inbox."""
    return RedirectResponse(request.url_for("console_inbox"), status_code=303)


async def inbox(request: Request) -> Response:
    """What waits on the signed-in person, soonest deadline first."""
    person = signed_in(request)
    rows, unreadable = await pending_requests(request.app.state.client, person.id)
    far = datetime.max.replace(tzinfo=UTC)
    rows.sort(key=lambda row: (row[1].deadline or far, row[1].opened_at))
    return render(
        request,
        "inbox.html",
        rows=rows,
        unreadable=sorted(unreadable),
        now=datetime.now(UTC),
    )


async def request_page(request: Request) -> Response:
    """One request: what it asks, and (POST) the person's answer to it."""
    person = signed_in(request)
    run_id, request_id = request.path_params["run_id"], request.path_params["request_id"]
    handle = request.app.state.client.get_workflow_handle(run_id)
    try:
        state, _ = await read_run(handle)
    except RunNotFound:
        return render(request, "missing.html", status=404, what=run_id)
    asked = next((r for r in state.requests if r.id == request_id), None)
    if asked is None:
        return render(request, "missing.html", status=404, what=f"{run_id} / {request_id}")
    refused = None
    if request.method == "POST":
        form = await request.form()
        try:
            await send_decision(handle, decision_from(asked, form, person.id))
        except BadAnswer as exc:  # nothing sent
            refused = str(exc)
        except WorkflowUpdateFailedError as exc:  # the run refused it: nothing changed
            refused = getattr(exc.cause, "message", None) or str(exc.cause or exc)
        else:
            return RedirectResponse(request.url_for("console_inbox"), status_code=303)
    return render(
        request,
        "request.html",
        status=400 if refused else 200,
        run_id=run_id,
        state=state,
        asked=asked,
        refused=refused,
        answers=OUTCOMES[asked.kind],
        ahead=ahead(asked),
        may_decide=asked.status == "open"
        and (not asked.approvers or person.id.lower() in {a.lower() for a in asked.approvers}),
        now=datetime.now(UTC),
    )
