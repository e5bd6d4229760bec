"""The console end to end, as the deal desk meets it on a phone: Chromium at 390 × 844 on a
real uvicorn and the dev server, sign-in links mailed through a real SMTP server (aiosmtpd).
The deal desk signs in by link, finds the high-risk ``deal_review`` in the inbox, reads what
it needs to decide and approves with a comment, and watches the run finish on its page
without reloading it; someone else, signed in too, cannot decide what waits on the deal
desk — not with the page, not with a forged POST. Set ``PODIUM_SCREENSHOT_DIR=docs`` to
refresh docs/console-sign-in.png, -inbox.png, -request.png and -run-finished.png."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.formatting import usd
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.settings import ConsoleSettings, load_people
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client, WorkflowExecutionStatus

from tests.conftest import ROOT
from tests.support.asgi_server import serving
from tests.support.browser import Page, headless_page
from tests.support.polling import eventually, eventually_sync
from tests.support.smtp import Mailbox, smtp_server

pytestmark = pytest.mark.usefixtures("worker")
PEOPLE = """\
people:
  deal-desk: {email: desk@example.com, name: Dewi (deal desk)}
  rina: {email: rina@example.com, name: Rina}
"""
DEAL = json.loads((ROOT / "specs" / "inputs" / "deal_review.json").read_text())
OTHER_DEAL = {
    "company": "Mekong Cold Chain",
    "deal_terms": "5-year exclusive cold-storage lease",
    "amount_usd": 4200000,
}
COMMENT = "Board agreed on 12 May; go ahead."
FORGED = """(async () => {
  const body = new URLSearchParams({
    csrftoken: document.querySelector('input[name=csrftoken]').value,
    outcome: 'reject', comment: 'forged'});
  const answer = await fetch(location.pathname, {method: 'POST', body});
  return {status: answer.status, text: await answer.text()};
})()"""
RUN_STATUS = "document.querySelector('#run-head .status')?.textContent"


async def waiting_deal(client: Client, deal: dict) -> str:
    """Start the sample ``deal_review`` (compiled offline) on a high-risk deal; its id once
    it waits on the deal desk."""
    plan = compile_spec(ROOT / "specs" / "deal_review.yaml", offline=True)
    handle = await start_run(client, plan, deal)

    async def asked() -> bool:
        return bool((await handle.query("status", result_type=RunState)).open_requests())

    await eventually(asked, f"{handle.id} to wait on the deal desk")
    return handle.id


def other_tab(page: Page, address: str = "''") -> None:
    """Point ``window.__tab`` at the person's other tab, named ``run``: opened at
    ``address`` (a JavaScript expression), or with ``''`` the one open already. A page may
    look into a tab it opened on its own site; that tab keeps its own document."""
    opened = f"!!(window.__tab = window.open({address}, 'run'))"
    page.send("Runtime.evaluate", expression=opened, userGesture=True)


def sign_in(page: Page, mailbox: Mailbox, who: str, address: str, shot: Path | None) -> None:
    """On the sign-in page: ask for a link, open the one mailed and press its button."""
    page.wait_for_text("Send me a sign-in link")
    page.type_into("#who", who)
    page.follow("form.sign-in button")
    page.wait_for_text(f"If {who} is someone this console knows, a sign-in link is on its way")
    if shot:
        page.screenshot(shot)

    def mailed() -> str | None:
        mails = mailbox.to(address)
        return mails[-1].get_content() if mails else None

    text = eventually_sync(mailed, f"the sign-in mail to {address}")
    page.goto(re.search(r"http://\S+/console/sign-in/\S+", text).group(0))
    page.follow("form.sign-in button")


def deal_desk_approves(
    page: Page, base: str, mailbox: Mailbox, deal: str, spent: float, shots: Path
) -> dict:
    """The deal desk signs in, opens the deal from the inbox, opens its run in another tab,
    approves with a comment, and looks at the run tab; what it shows."""
    page.goto(f"{base}/console/")  # → the sign-in page, then back to the inbox
    sign_in(page, mailbox, "deal-desk", "desk@example.com", shots / "console-sign-in.png")
    page.wait_for_text("Waiting for you", "High-risk deal: Nusantara Logistics")
    page.screenshot(shots / "console-inbox.png")

    page.follow(f'a[href="/console/runs/{deal}/requests/signoff-1"]')
    page.wait_for_text(
        "High-risk deal: Nusantara Logistics (2500000 USD)",
        "Who decides\ndeal-desk",
        f"Spent so far\n{usd(spent)}",
        '"level": "high"',
        "exclusivity clause limits other partnerships",
        "deal size 2500000 USD exceeds the 1M approval threshold",
    )
    page.screenshot(shots / "console-request.png")

    other_tab(page, "document.querySelector('main .meta a').href")  # the run, before deciding
    page.wait_for(f"window.__tab.{RUN_STATUS} === 'waiting'", what="the run's tab")
    page.evaluate("window.__tab.__samePage = true")  # gone if the tab reloads

    page.type_into("#comment", COMMENT)
    page.follow("button[value=approve]")
    page.wait_for("location.pathname === '/console/inbox'", what="back to the inbox")
    page.wait_for_text("Waiting for you", "High-risk deal: Mekong Cold Chain")
    inbox = page.evaluate("document.querySelector('main').innerHTML")

    other_tab(page)
    page.wait_for(
        f"window.__tab.__samePage && window.__tab.{RUN_STATUS} === 'completed'",
        what="the run's tab to show the run completed, without a reload",
    )
    run_tab = page.evaluate(
        "(d => ({signoff: d.querySelector('[data-step=signoff]').dataset.status,"
        " text: d.body.innerText}))(window.__tab.document)"
    )
    page.goto(f"{base}/console/runs/{deal}")
    page.wait_for_text("The run's output")
    page.screenshot(shots / "console-run-finished.png")
    return {"inbox": inbox, "run_tab": run_tab}


def someone_else_tries(page: Page, base: str, mailbox: Mailbox, other: str) -> dict:
    """Rina, signed in, opens a request that waits on the deal desk and forges its form."""
    page.send("Network.clearBrowserCookies")  # the deal desk's session is gone
    request = f"/console/runs/{other}/requests/signoff-1"
    page.goto(f"{base}{request}")  # → the sign-in page, then back here
    sign_in(page, mailbox, "rina@example.com", "rina@example.com", None)
    page.wait_for(f"location.pathname === {json.dumps(request)}", what=request)
    page.wait_for_text("Rina", "This request waits on deal-desk, not on you.")
    buttons = page.evaluate("document.querySelectorAll('main button, main form').length")
    return {"buttons": buttons, "forged": page.evaluate(FORGED)}


async def test_the_deal_desk_approves_a_high_risk_deal_on_a_phone_and_nobody_else_can(
    client, tmp_path
):
    shots = Path(os.environ.get("PODIUM_SCREENSHOT_DIR") or tmp_path)
    (tmp_path / "people.yaml").write_text(PEOPLE)
    deal, other = await asyncio.gather(waiting_deal(client, DEAL), waiting_deal(client, OTHER_DEAL))
    spent = (await client.get_workflow_handle(deal).query("status", result_type=RunState)).cost_usd
    with smtp_server() as mailbox:
        settings = ConsoleSettings(
            people=load_people(tmp_path / "people.yaml"),
            secret="s" * 64,
            mail=mailbox.settings,
            used_links=tmp_path / "console-links.db",
        )
        app = build_app(client, specs=ROOT / "specs", clients=Clients([]), console=settings)
        async with serving(app) as base:
            settings.base_url = base

            def in_chromium() -> tuple[dict, dict]:
                with headless_page(width=390, height=844) as page:
                    page.send("Emulation.setScrollbarsHidden", hidden=True)  # as on a phone
                    desk = deal_desk_approves(page, base, mailbox, deal, spent, shots)
                    return desk, someone_else_tries(page, base, mailbox, other)

            desk, rina = await asyncio.to_thread(in_chromium)

    assert f"/console/runs/{deal}/" not in desk["inbox"], "answered: no longer waiting"
    assert desk["run_tab"]["signoff"] == "completed"
    answered = rf"answered: approve by deal-desk\s+{re.escape(COMMENT)}"
    assert re.search(answered, desk["run_tab"]["text"]), "the answer and its comment, live"
    result = await client.get_workflow_handle(deal, result_type=RunResult).result()
    [decided] = result.state.requests
    assert (decided.decision.outcome, decided.decision.by, decided.decision.comment) == (
        "approve",
        "deal-desk",
        COMMENT,
    )
    assert result.output["decision"]["approved"]

    assert rina["buttons"] == 0, "the page offers rina no way to decide"
    assert rina["forged"]["status"] == 400, "the run refused it"
    assert "&#39;rina&#39; may not decide &#39;signoff-1&#39;" in rina["forged"]["text"]
    handle = client.get_workflow_handle(other)
    [still] = (await handle.query("status", result_type=RunState)).requests
    assert still.status == "open" and still.decision is None, "the forged POST changed nothing"
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await send_decision(
        handle, DecisionInput(request_id="signoff-1", outcome="reject", by="deal-desk")
    )
