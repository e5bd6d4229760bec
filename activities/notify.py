"""Notifying people of human requests: a JSON message to webhooks, and an e-mail to each
person a request opens or escalates to.

Both go out from here, the worker's ``podium.notify`` activity, which the run starts
without waiting for it (``workflows/steps/human_desk.py``): it is in the run's history,
Temporal retries it with backoff until it is delivered, and it is sent whether or not a
console is running. A console sending them instead would have to poll every run to
notice a new request, and remember across its own restarts what it had sent. The price:
the worker needs what a mail needs —

    PODIUM_SMTP_URL, PODIUM_MAIL_FROM, …   the mail server (``activities/mail.py``)
    PODIUM_PEOPLE=people.yaml              who has which address (``activities/people.py``)
    PODIUM_CONSOLE_URL=https://podium.example.com   where links point (optional)

— all read here, when a message goes out: the run schedules the same activity with the
same input as before, so nothing changes in what a workflow does, and every recorded
history replays as it did.

The webhook message: ``event``, ``run_id``, ``spec``, ``request`` and, when the worker
knows the console's address and the message is about a request, ``link`` — the request's
page. The e-mail (``request_mail.py``) carries the same link.

A retry goes only to those not reached yet: who was reached is the activity's heartbeat
details, which Temporal hands to the next attempt.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from podium.activities.contract_base import Contract
from podium.activities.errors import SetupError
from podium.activities.mail import MailSettings, send_mail
from podium.activities.people import PEOPLE_ENV, Person, read_people
from podium.activities.request_mail import MAILED_EVENTS, request_mail
from temporalio import activity
from temporalio.exceptions import ApplicationError

WEBHOOKS_ENV = "PODIUM_WEBHOOK_URLS"
"""Comma-separated webhook URLs configured on the worker (in addition to the spec's)."""
CONSOLE_URL_ENV = "PODIUM_CONSOLE_URL"
"""On a worker: where people reach the console (``podium console --base-url``)."""


class Notification(Contract):
    """One message about a human request."""

    event: str
    """``request.opened``, ``request.escalated``, ``request.decided`` or ``deadline.breached``
    (then ``request`` holds the step, its deadline and what Podium does about it)."""
    run_id: str
    spec: str
    request: dict[str, Any]
    urls: list[str] = []
    link: str | None = None
    """The request's page in the console: set by the worker (``PODIUM_CONSOLE_URL``)."""


class NotifyResult(Contract):
    """Who was reached: webhooks by URL, people by id."""

    delivered: list[str]
    mailed: list[str] = []


@activity.defn(name="podium.notify")
async def notify(message: Notification) -> NotifyResult:
    """Send ``message`` to every webhook and mail it to the people it waits on; raise (so
    Temporal retries, for those not reached yet) if any failed."""
    message = message.model_copy(update={"link": request_link(message)})
    urls = list(message.urls) + [
        u.strip() for u in os.environ.get(WEBHOOKS_ENV, "").split(",") if u.strip()
    ]
    reached = _reached_before()
    failed: list[str] = []
    body = message.model_dump(mode="json", exclude={"urls"}, exclude_none=True)
    async with httpx.AsyncClient(timeout=10.0) as client:
        for url in urls:
            if url in reached:
                continue
            try:
                response = await client.post(url, json=body)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                failed.append(f"{url}: {type(exc).__name__}")
            else:
                _reach(reached, url)
    wrong_setup = False
    try:
        mailed = await _mail(message, reached, failed)
    except SetupError as exc:
        failed.append(f"no e-mail sent: {exc}")
        mailed, wrong_setup = [], True
    if failed:
        raise ApplicationError(
            "notification not delivered: " + "; ".join(failed),
            type="NotificationFailed",
            non_retryable=wrong_setup and len(failed) == 1,  # a retry would fail the same
        )
    return NotifyResult(delivered=[u for u in urls if u in reached], mailed=mailed)


def request_link(message: Notification) -> str | None:
    """``{console}/console/runs/{run}/requests/{request}``, if the worker knows where the
    console is and the message is about a request."""
    console = os.environ.get(CONSOLE_URL_ENV, "").strip().rstrip("/")
    request_id = message.request.get("id")
    if not console or not isinstance(request_id, str):
        return None
    return f"{console}/console/runs/{message.run_id}/requests/{request_id}"


async def _mail(message: Notification, reached: set[str], failed: list[str]) -> list[str]:
    """Mail each person ``message`` now waits on; their ids (``SetupError``: the worker's
    mail settings or people file are wrong)."""
    path = os.environ.get(PEOPLE_ENV, "").strip()
    if message.event not in MAILED_EVENTS or not path:
        return []
    settings = MailSettings.from_environment()
    if settings is None:
        raise SetupError(f"{PEOPLE_ENV} is set but no mail server (PODIUM_SMTP_URL)")
    people = read_people(path)
    mailed = []
    for person in _recipients(message, people):
        key = f"mail:{person.id}"
        if key not in reached:
            try:
                mail = request_mail(
                    settings,
                    person,
                    event=message.event,
                    run_id=message.run_id,
                    spec=message.spec,
                    request=message.request,
                    link=message.link,
                )
                await send_mail(settings, mail)
            except OSError as exc:
                failed.append(f"mail to {person.id}: {type(exc).__name__}: {exc}")
                continue
            _reach(reached, key)
        mailed.append(person.id)
    return mailed


def _recipients(message: Notification, people: dict[str, Person]) -> list[Person]:
    """The people the request waits on whom the people file gives an address."""
    named = [str(a).lower() for a in message.request.get("approvers") or []]
    found = (people.get(a) for a in dict.fromkeys(named))
    return [p for p in found if p is not None and p.email]


def _reached_before() -> set[str]:
    details = activity.info().heartbeat_details
    return set(details[0]) if details else set()


def _reach(reached: set[str], key: str) -> None:
    reached.add(key)
    activity.heartbeat(sorted(reached))  # the next attempt, if any, skips it
