"""Signing in to the console by a one-time link, as a person meets it: over HTTP (a real
uvicorn on loopback) with the link mailed through a real SMTP server (aiosmtpd). A link
signs in once, within its time, only as it was made; asking never tells who exists;
sessions end; every form needs its CSRF token."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from podium.activities.people import Person
from podium.starters.commands.serve import TicketsHidden
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.links import SignInLinks, UsedLinks
from podium.starters.web.settings import ConsoleSettings
from temporalio.client import Client

from tests.support.asgi_server import serving
from tests.support.polling import eventually
from tests.support.smtp import Mailbox, smtp_server

PEOPLE = {
    "ann": Person(id="ann", email="ann@example.com", display="Ann Tan"),
    "budi": Person(id="budi", email="budi@example.com", language="id"),
}
USED = "This link was used already: ask for a new one."


@pytest.fixture
def mailbox() -> AsyncIterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def settings(mailbox: Mailbox, tmp_path) -> ConsoleSettings:
    return ConsoleSettings(
        people=PEOPLE,
        secret="s" * 64,
        mail=mailbox.settings,
        used_links=tmp_path / "state" / "console-links.db",
    )


@asynccontextmanager
async def console(
    client: Client, settings: ConsoleSettings, tmp_path
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the console, which listens on a loopback port (its links point there)."""
    app = build_app(client, specs=tmp_path, clients=Clients([]), console=settings)
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        settings.base_url = base
        yield http


def csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)


async def ask_for_link(http: httpx.AsyncClient, who: str) -> httpx.Response:
    page = await http.get("/console/sign-in", params={"next": "/console/inbox"})
    return await http.post(
        "/console/sign-in", data={"csrftoken": csrf(page), "who": who, "next": "/console/inbox"}
    )


async def mailed_link(mailbox: Mailbox, address: str) -> str:
    async def arrived() -> str | None:
        mails = mailbox.to(address)
        return mails[-1].get_content() if mails else None

    text = await eventually(arrived, f"the sign-in mail to {address}", timeout=15)
    return re.search(r"http://\S+/console/sign-in/\S+", text).group(0)


async def follow(http: httpx.AsyncClient, link: str) -> httpx.Response:
    """Open the link and press its button, as a person does."""
    page = await http.get(link)
    if page.status_code != 200:
        return page
    return await http.post(link, data={"csrftoken": csrf(page)})


async def test_a_mailed_link_signs_in_once(client, settings, mailbox, tmp_path):
    async with console(client, settings, tmp_path) as http:
        forged = await http.post("/console/sign-in", data={"who": "ann"})  # no CSRF token
        assert forged.status_code == 403 and not mailbox.mails

        asked = await ask_for_link(http, "Ann@Example.com")  # the address, any case
        assert asked.status_code == 200
        link = await mailed_link(mailbox, "ann@example.com")
        [mail] = mailbox.mails
        assert mail["Subject"] == "Your Podium sign-in link"
        assert "Hello Ann Tan," in mail.get_content()
        assert link.startswith(f"{settings.base_url}/console/sign-in/")

        opened = await http.get(link)  # a mail scanner's visit uses nothing
        assert "Sign in as Ann Tan" in opened.text
        assert (await http.get("/console/inbox")).status_code == 303

        signed = await http.post(link, data={"csrftoken": csrf(opened)})
        assert signed.status_code == 303 and signed.headers["location"] == "/console/inbox"
        inbox = await http.get("/console/inbox")
        assert inbox.status_code == 200 and "Ann Tan" in inbox.text

        again = await follow(http, link)
        assert again.status_code == 410 and USED in again.text
        async with httpx.AsyncClient(base_url=http.base_url) as elsewhere:  # another browser
            assert USED in (await follow(elsewhere, link)).text

    token = link.rsplit("/", 1)[1]
    async with console(client, settings, tmp_path) as http:
        restarted = await http.get(f"/console/sign-in/{token}")
        assert restarted.status_code == 410 and USED in restarted.text, "after a restart too"


async def test_an_expired_or_changed_link_is_refused(client, settings, mailbox, tmp_path):
    old = SignInLinks(settings.secret, 900, UsedLinks(settings.used_links), clock=lambda: 0.0)
    async with console(client, settings, tmp_path) as http:
        expired = await follow(http, f"/console/sign-in/{old.make('ann', '/console/inbox')}")
        assert expired.status_code == 410
        assert "This link has expired: ask for a new one." in expired.text

        await ask_for_link(http, "ann")
        link = await mailed_link(mailbox, "ann@example.com")
        body, signature = link.rsplit("/", 1)[1].split(".")
        said = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        changed = {**said, "p": "budi"}  # the same signature, someone else
        forged_body = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
        other_secret = SignInLinks("t" * 64, 900, UsedLinks(settings.used_links))
        for token in (
            f"{forged_body}.{signature}",
            other_secret.make("ann", "/console/inbox"),
            link.rsplit("/", 1)[1][:-3],  # cut short
        ):
            refused = await follow(http, f"/console/sign-in/{token}")
            assert refused.status_code == 400 and "This link is not valid" in refused.text
        assert (await http.get("/console/inbox")).status_code == 303, "nobody signed in"
        assert "Sign in as Ann Tan" in (await http.get(link)).text, "the real link still works"


async def test_asking_never_tells_who_exists(client, settings, mailbox, tmp_path):
    async with console(client, settings, tmp_path) as http:
        unknown = await ask_for_link(http, "nobody@example.com")
        known = await ask_for_link(http, "budi@example.com")
        assert unknown.status_code == known.status_code == 200
        assert unknown.text.replace("nobody@", "budi@") == known.text
        await mailed_link(mailbox, "budi@example.com")
    assert [m["To"] for m in mailbox.mails] == ["budi@example.com"], "nothing to nobody"
    assert mailbox.mails[0]["Subject"] == "Tautan masuk Podium Anda"  # budi's language


async def test_sessions_end_after_session_s_and_on_sign_out(client, settings, mailbox, tmp_path):
    settings = replace(settings, session_s=3)
    async with console(client, settings, tmp_path) as http:
        await ask_for_link(http, "ann")
        assert (await follow(http, await mailed_link(mailbox, "ann@example.com"))).is_redirect
        inbox = await http.get("/console/inbox")
        assert inbox.status_code == 200
        cookie = http.cookies["podium_session"]

        forged = await http.post("/console/sign-out")  # no CSRF token
        assert forged.status_code == 403
        assert (await http.get("/console/inbox")).status_code == 200, "still signed in"
        out = await http.post("/console/sign-out", data={"csrftoken": csrf(inbox)})
        assert out.status_code == 303
        assert (await http.get("/console/inbox")).status_code == 303

        async def ended() -> bool:  # the old cookie, sent again as it was: refused in time
            cookies = {"podium_session": cookie}
            async with httpx.AsyncClient(base_url=http.base_url, cookies=cookies) as replay:
                return (await replay.get("/console/inbox")).status_code == 303

        await eventually(ended, "the session to end", timeout=20)


async def test_nobody_is_sent_to_another_site(client, settings, tmp_path):
    settings.trusted_header = "X-Test-User"
    async with console(client, settings, tmp_path) as http:
        for where in ("//evil.example/x", "https://evil.example", "/\\evil.example", "/\t/e"):
            page = await http.get(
                "/console/sign-in", params={"next": where}, headers={"X-Test-User": "ann"}
            )
            assert page.headers["location"] == "/console/", where


def test_the_access_log_never_shows_a_links_token():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("127.0.0.1:5", "GET", "/console/sign-in/eyJwIjoiYW5uIn0.c2ln?x=1", "1.1", 200)
    TicketsHidden().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /console/sign-in/…?x=1 HTTP/1.1" 200'
