"""Signing in to the console by a one-time link, and out of it.

    GET  /console/sign-in            the page: "send me a link" (behind a proxy with a
                                     trusted header: not needed, straight on)
    POST /console/sign-in            a link to the person's e-mail (the people file)
    GET  /console/sign-in/{token}    the link: "sign in as …?" and a button
    POST /console/sign-in/{token}    the button: signed in, on to where they were going
    POST /console/sign-out           ends the session

Asking for a link answers the same page whoever is named, known or not, and the mail
goes out after the answer (``links.py`` makes and checks links). Opening a link does not
use it: mail scanners and link previews open links before people do, and would use up a
one-time link; the button, a form with its CSRF token, does.
"""

from __future__ import annotations

import logging
import re

from podium.activities.mail import message, send_mail
from podium.activities.people import Person
from podium.starters.web.auth import person_of, sign_in, sign_out
from podium.starters.web.links import LinkRefused, SignInLinks, UsedLinks
from podium.starters.web.settings import ConsoleSettings
from podium.starters.web.templating import render, translations
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

log = logging.getLogger("podium.serve")
HOME = "/console/"
LOCAL = re.compile(r"/(?![/\\])[^\x00-\x20\\]*")
"""A path on this site: one slash, then no slash, backslash, space or control character."""


def routes() -> list[BaseRoute]:
    """The sign-in routes (inside ``/console``)."""
    return [
        Route("/sign-in", sign_in_page, methods=["GET", "POST"], name="console_sign_in"),
        Route("/sign-in/{token}", sign_in_link, methods=["GET", "POST"], name="console_link"),
        Route("/sign-out", sign_out_now, methods=["POST"], name="console_sign_out"),
    ]


def links(settings: ConsoleSettings) -> SignInLinks:
    """The console's sign-in links (signed with its secret, remembered once used)."""
    return SignInLinks(settings.secret, settings.link_s, UsedLinks(settings.used_links))


async def sign_in_page(request: Request) -> Response:
    """The sign-in page; (POST) a link sent to the person named, if the console knows them."""
    settings: ConsoleSettings = request.app.state.console
    person = person_of(request)
    if person is not None:
        request.state.person = person
        return RedirectResponse(local(request.query_params.get("next")), status_code=303)
    asked, task = None, None
    next_path = local(request.query_params.get("next"))
    if request.method == "POST":
        form = await request.form()
        asked = str(form.get("who", "")).strip()
        next_path = local(str(form.get("next", "")))
        found = known(settings, asked)
        if found is not None and found.email and settings.mail is not None:
            task = BackgroundTask(send_link, settings, found, next_path)
    page = render(
        request,
        "sign_in.html",
        asked=asked,
        next=next_path,
        mail_ready=settings.mail is not None,
        minutes=settings.link_s // 60,
    )
    page.background = task  # after the answer: how long a mail takes says nothing either
    return page


async def sign_in_link(request: Request) -> Response:
    """A sign-in link: (GET) what it would do, (POST) sign in with it, once."""
    settings: ConsoleSettings = request.app.state.console
    token = request.path_params["token"]
    try:
        if request.method == "GET":
            link = await links(settings).check(token)
        elif "csrftoken" not in request.cookies:  # the form's token was not checked
            return Response("Forbidden (CSRF cookie not set)", status_code=403)
        else:
            link = await links(settings).spend(token)
    except LinkRefused as refused:
        status = 400 if refused.reason == "invalid" else 410
        return render(request, "sign_in_link.html", status=status, refused=refused.reason)
    who = settings.people.get(link.person.lower())
    if who is None:  # no longer in the people file
        return render(request, "sign_in_link.html", status=400, refused="invalid")
    if request.method == "GET":
        return render(request, "sign_in_link.html", refused=None, who=who)
    sign_in(request, who.id)
    return RedirectResponse(local(link.next), status_code=303)


async def sign_out_now(request: Request) -> Response:
    """End the session; back to the sign-in page."""
    sign_out(request)
    return RedirectResponse(request.url_for("console_sign_in"), status_code=303)


def known(settings: ConsoleSettings, asked: str) -> Person | None:
    """The person ``asked`` names: their id or their e-mail address (any case)."""
    found = settings.people.get(asked.lower())
    if found is None and "@" in asked:
        found = next(
            (p for p in settings.people.values() if (p.email or "").lower() == asked.lower()),
            None,
        )
    return found


async def send_link(settings: ConsoleSettings, person: Person, next_path: str) -> None:
    """Mail ``person`` a new sign-in link, in their language (failures are logged, without
    the link: it is a key to their account)."""
    assert settings.mail is not None and person.email is not None
    token = links(settings).make(person.id, next_path)
    url = f"{settings.base_url}/console/sign-in/{token}"
    _ = translations(person.language).gettext
    text = "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": person.shown},
            _("open this link to sign in to Podium:"),
            url,
            _("It works once, for %(minutes)s minutes.") % {"minutes": settings.link_s // 60},
            _("If you did not ask for it, you can ignore this e-mail."),
        ]
    )
    mail = message(settings.mail, person.email, _("Your Podium sign-in link"), text + "\n")
    try:
        await send_mail(settings.mail, mail)
    except OSError as exc:
        log.warning("the sign-in link for %s was not sent: %s", person.id, exc)
    else:
        log.info("sent a sign-in link to %s", person.id)


def local(path: str | None) -> str:
    """``path`` if it stays on this site, else the console's front page: never a redirect
    to another site (``//evil.example``, ``https://…``, or a backslash, tab or line break
    that a browser reads as a slash or drops)."""
    return path if path and LOCAL.fullmatch(path) else HOME
