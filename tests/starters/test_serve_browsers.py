# ruff: noqa: F811 - the serve fixtures come from test_serve; tests take them by name
"""``podium serve`` for browsers: a page reads one run's events with the watch ticket its
backend was given (EventSource sends no Authorization header), and the docs' browser client
itself, in Chromium, shows the reply as it is written and never runs an agent's HTML."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from podium.starters.commands.serve import TicketsHidden
from podium.starters.serve_tickets import Tickets
from podium.workflows.state import RunResult
from starlette.responses import HTMLResponse

from tests.starters.test_serve import (  # noqa: F401 - fixtures
    assembled,
    bearer,
    clients_file,
    read_events,
    serve,
    specs,
    start,
)
from tests.support.browser import headless_page

pytestmark = pytest.mark.usefixtures("worker")


async def test_a_browser_reads_one_run_with_the_ticket_its_backend_was_given(client, serve):
    """EventSource cannot send a token: the backend starts the run (or asks for a ticket)
    and hands the page a ticket that reads that run's events only."""
    async with serve() as served:
        answer = await served.http.post(
            "/runs", json={"spec": "live", "input": {"name": "Dewi"}}, headers=bearer()
        )
        run_id, ticket = answer.json()["run_id"], answer.json()["ticket"]
        events = await read_events(served.http, run_id, ticket=ticket)
        assert events[-1].kind == "run.ended"
        assert assembled(events, "draft") == events[-1].data["output"]

        other = await start(served.http, "live", name="Ana")
        refused = await served.http.get(f"/runs/{other}/events", params={"ticket": ticket})
        assert refused.status_code == 401
        assert "not valid for this run" in refused.json()["error"]
        forged = ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB")
        assert (
            await served.http.get(f"/runs/{run_id}/events", params={"ticket": forged})
        ).status_code == 401

        asked = await served.http.post(f"/runs/{other}/tickets", headers=bearer())
        assert asked.status_code == 200 and asked.json()["expires_in"] == 3600
        events = await read_events(served.http, other, ticket=asked.json()["ticket"])
        assert events[-1].kind == "run.ended"
        unknown = await served.http.post("/runs/no-such-run/tickets", headers=bearer())
        assert unknown.status_code == 404
        anonymous = await served.http.post(f"/runs/{other}/tickets")
        assert anonymous.status_code == 401


def test_an_expired_ticket_is_refused_and_tickets_stay_out_of_the_access_log():
    tickets = Tickets(key=b"k" * 32, ttl_s=-1)
    assert tickets.check(tickets.give("run-1", "chat"), "run-1") is None
    fresh = Tickets(key=b"k" * 32)
    assert fresh.check(fresh.give("run-1", "chat"), "run-1") == "chat"
    assert Tickets(key=b"other" * 8).check(fresh.give("run-1", "chat"), "run-1") is None
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/runs/r/events?ticket={fresh.give('r', 'chat')}&x=1", "1.1", 200),
        None,
    )
    TicketsHidden().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /runs/r/events?ticket=…&x=1 HTTP/1.1" 200'


def browser_client() -> str:
    """The browser client of docs/live-runs.md, as the page there has it."""
    doc = (Path(__file__).parents[2] / "docs" / "live-runs.md").read_text()
    return doc.split("### A browser client", 1)[1].split("```html\n", 1)[1].split("```", 1)[0]


async def test_the_docs_browser_client_shows_the_reply_as_written_and_never_runs_it(client, serve):
    """The page of docs/live-runs.md in Chromium: the reply grows as it is written, the
    steps list fills in, and an agent's text that is HTML stays text."""
    name = '<img src=x onerror="window.__pwned = 1">'
    async with serve() as served:
        answer = await served.http.post(
            "/runs", json={"spec": "live", "input": {"name": name}}, headers=bearer()
        )
        run_id, ticket = answer.json()["run_id"], answer.json()["ticket"]
        page_html = (
            "<!doctype html><meta charset=utf-8>" + browser_client() + "<script>window.__seen = [];"
            "new MutationObserver(() => window.__seen.push("
            "document.getElementById('reply').textContent)).observe("
            "document.getElementById('reply'), {childList: true, characterData: true, "
            "subtree: true});"
            f"follow('', {json.dumps(run_id)}, {json.dumps(ticket)});</script>"
        )
        served.app.add_route("/page", lambda request: HTMLResponse(page_html))
        base = str(served.http.base_url).rstrip("/")

        def in_chromium() -> dict:
            with headless_page(width=420, height=700) as page:
                page.goto(f"{base}/page")
                page.wait_for(
                    "document.getElementById('steps').textContent.includes('completed check')",
                    what="the steps list to show the last step",
                )
                return page.evaluate(
                    "({reply: document.getElementById('reply').textContent,"
                    " steps: document.getElementById('steps').textContent,"
                    " seen: window.__seen, pwned: window.__pwned === 1,"
                    " images: document.querySelectorAll('img').length})"
                )

        shown = await asyncio.to_thread(in_chromium)
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    draft = result.state.step("draft").output
    assert name in draft
    assert shown["pwned"] is False and shown["images"] == 0
    check = result.state.step("check").output
    assert shown["reply"] == check  # the last call's text, whole
    partial = [seen for seen in shown["seen"] if seen and draft.startswith(seen) and seen != draft]
    assert partial, "the draft was shown as it was written, not only whole"
    for step in ("draft", "check"):
        assert f"started {step}" in shown["steps"] and f"completed {step}" in shown["steps"]
