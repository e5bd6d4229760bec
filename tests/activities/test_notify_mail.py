"""A request's notifications on the dev server, as people get them: an e-mail to each
approver it opens or escalates to (a real SMTP server, aiosmtpd), with a link to the
request's page in the console, and the same link in the webhook message; a retry for a
failed webhook mails nobody twice."""

from __future__ import annotations

import pytest
import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from temporalio.client import WorkflowHandle

from tests.support.polling import eventually
from tests.support.smtp import Mailbox, smtp_server
from tests.support.webhook import webhook_receiver

pytestmark = pytest.mark.usefixtures("worker")
CONSOLE = "https://podium.example.com"
PEOPLE = {
    "people": {
        "ann": {"email": "ann@example.com", "name": "Ann Tan"},
        "bob": {},  # no address: no mail
        "cfo": {"email": "cfo@example.com", "language": "id"},
    }
}


@pytest.fixture
def mailbox(monkeypatch, tmp_path) -> Mailbox:
    """The worker's mail settings and people file point at a local SMTP server."""
    people = tmp_path / "people.yaml"
    people.write_text(yaml.safe_dump(PEOPLE))
    with smtp_server() as box:
        for name, value in {**box.environment(), "PODIUM_PEOPLE": str(people)}.items():
            monkeypatch.setenv(name, value)
        yield box


async def start(client, write_spec, url: str, **approval) -> WorkflowHandle:
    spec = {
        "name": "mailed_deal",
        "steps": [
            {
                "id": "signoff",
                "approval": {"title": "Send the quote to Acme?", "approvers": ["ann", "bob"]}
                | approval,
            }
        ],
        "notify": [url],
    }
    return await start_run(client, compile_spec(write_spec(spec)), {})


async def mails(mailbox: Mailbox, address: str, count: int = 1) -> list:
    async def arrived() -> list | None:
        return mailbox.to(address) if len(mailbox.to(address)) >= count else None

    return await eventually(arrived, f"{count} mail(s) to {address}", timeout=20)


async def test_approvers_get_a_mail_with_the_requests_link(
    client, write_spec, mailbox, monkeypatch
):
    monkeypatch.setenv("PODIUM_CONSOLE_URL", CONSOLE + "/")
    with webhook_receiver() as (url, received):
        handle = await start(client, write_spec, url, escalate=[{"to": ["cfo"], "after": "1s"}])
        link = f"{CONSOLE}/console/runs/{handle.id}/requests/signoff-1"

        [opened] = await mails(mailbox, "ann@example.com")
        assert opened["Subject"] == "Waiting for you: Send the quote to Acme?"
        text = opened.get_content()
        assert "Hello Ann Tan," in text and f"Run {handle.id} (mailed_deal)" in text
        assert link in text

        [escalated] = await mails(mailbox, "cfo@example.com")
        assert escalated["Subject"] == "Escalated to you: Send the quote to Acme?"
        assert link in escalated.get_content()
        assert [m["To"] for m in mailbox.mails] == ["ann@example.com", "cfo@example.com"]

        async def both() -> list | None:
            return received if len(received) >= 2 else None

        webhooks = await eventually(both, "two webhook messages", timeout=20)
        assert [(m["event"], m["link"]) for m in webhooks] == [
            ("request.opened", link),
            ("request.escalated", link),
        ]
        decision = DecisionInput(request_id="signoff-1", outcome="approve", by="cfo")
        await send_decision(handle, decision)
        await handle.result()


async def test_a_retry_for_a_failed_webhook_mails_nobody_twice(
    client, write_spec, mailbox, monkeypatch
):
    monkeypatch.delenv("PODIUM_CONSOLE_URL", raising=False)
    with webhook_receiver(fail_first=1) as (url, received):
        handle = await start(client, write_spec, url)

        async def notified() -> bool:  # the activity's second attempt has succeeded
            events = (await handle.fetch_history()).events
            return any(e.HasField("activity_task_completed_event_attributes") for e in events)

        await eventually(notified, "the notification to be delivered", timeout=30)
        assert len(received) == 2 and "link" not in received[1]  # no console address
    [mail] = mailbox.to("ann@example.com")
    assert "`podium inbox` shows it" in mail.get_content()
    assert len(mailbox.mails) == 1
    await send_decision(handle, DecisionInput(request_id="signoff-1", outcome="reject", by="ann"))
