"""Who is looking at a console page.

A person is signed in when their session says so (a signed cookie that expires after
``ConsoleSettings.session_s``; set by a sign-in link, ``signin.py``), or — behind a company
proxy that has signed them in already — when the configured trusted header names them.
Pages that need someone send everyone else to the sign-in page. Being signed in lets a
person see; what they may decide is still the run's to say (its Update validator refuses
a decision from someone a request does not wait on).
"""

from __future__ import annotations

import time

from podium.starters.web.settings import ConsoleSettings, Person
from podium.starters.web.templating import render
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response


class SignInNeeded(Exception):
    """The page needs a signed-in person (answered with a redirect to sign in)."""


class NotAllowed(Exception):
    """The person signed in may not do what the page does (answered with a 403 page
    saying what the people file must give them)."""

    def __init__(self, person: Person, needs: str):
        super().__init__(f"{person.id} may not {needs}")
        self.person, self.needs = person, needs


def person_of(request: Request) -> Person | None:
    """The person making the request, if anyone is signed in."""
    settings: ConsoleSettings = request.app.state.console
    if settings.trusted_header:
        named = request.headers.get(settings.trusted_header, "").strip()
        if named:
            return settings.person(named)
    session = request.session
    who, since = session.get("person"), session.get("since", 0)
    if not who or time.time() - float(since) > settings.session_s:
        return None
    return settings.person(str(who))


def signed_in(request: Request) -> Person:
    """The person signed in; else ``SignInNeeded``."""
    person = person_of(request)
    if person is None:
        raise SignInNeeded()
    request.state.person = person
    return person


def allowed(request: Request, needs: str) -> Person:
    """The person signed in, if the people file lets them ``needs`` (``edit-specs``,
    ``start-runs``); else ``NotAllowed`` (or ``SignInNeeded``)."""
    person = signed_in(request)
    if needs not in person.can:
        raise NotAllowed(person, needs)
    return person


def sign_in(request: Request, person_id: str) -> None:
    """Start a session for ``person_id`` (a sign-in link was used)."""
    request.session.clear()
    request.session.update(person=person_id, since=time.time())


def sign_out(request: Request) -> None:
    """End the session."""
    request.session.clear()


async def not_allowed(request: Request, exc: Exception) -> Response:
    """What ``NotAllowed`` shows: who may not do what, and what would let them."""
    assert isinstance(exc, NotAllowed)
    request.state.person = exc.person
    return render(request, "not_allowed.html", status=403, needs=exc.needs)


async def to_sign_in(request: Request, exc: Exception) -> RedirectResponse:
    """Where ``SignInNeeded`` sends a browser: the sign-in page, then back here."""
    return RedirectResponse(
        request.url_for("console_sign_in").include_query_params(next=request.url.path),
        status_code=303,
    )
