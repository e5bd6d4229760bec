"""Signing in to the console and out of it.

    GET  /console/sign-in        the page (behind a proxy with a trusted header: not needed)
    POST /console/sign-out       ends the session

Sign-in links (one-time, signed, expiring, sent by e-mail) come next; until then a
person is signed in by the trusted header of a company proxy.
"""

from __future__ import annotations

from podium.starters.web.auth import person_of, sign_out
from podium.starters.web.templating import render
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route


def routes() -> list[BaseRoute]:
    """The sign-in routes (inside ``/console``)."""
    return [
        Route("/sign-in", sign_in_page, methods=["GET"], name="console_sign_in"),
        Route("/sign-out", sign_out_now, methods=["POST"], name="console_sign_out"),
    ]


async def sign_in_page(request: Request) -> Response:
    """The sign-in page (someone already signed in goes on to where they were going)."""
    person = person_of(request)
    if person is not None:
        request.state.person = person
        return RedirectResponse(request.query_params.get("next") or "/console/", 303)
    return render(request, "sign_in.html")


async def sign_out_now(request: Request) -> Response:
    """End the session; back to the sign-in page."""
    sign_out(request)
    return RedirectResponse(request.url_for("console_sign_in"), status_code=303)
