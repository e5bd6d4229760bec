"""The e-mail telling a person that a request waits on them (sent by ``notify.py``).

In English: the worker composes it, and the translated texts are the console's
(``starters/web/locales``), which a worker does not carry. The link, when the worker
knows where the console is, opens the request's page — in the person's own language.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from podium.activities.mail import MailSettings, message
from podium.activities.people import Person

MAILED_EVENTS = ("request.opened", "request.escalated")
"""The events that put a request in front of someone: they get an e-mail."""


def request_mail(
    settings: MailSettings,
    person: Person,
    *,
    event: str,
    run_id: str,
    spec: str,
    request: dict[str, Any],
    link: str | None,
) -> EmailMessage:
    """The mail telling ``person`` that ``request`` (a notification's) waits on them."""
    title = str(request.get("title") or request.get("id") or "a request")
    escalated = event == "request.escalated"
    lines = [
        f"Hello {person.shown},",
        f"A request {'was escalated to you' if escalated else 'waits for you'}: {title}",
        f"Run {run_id} ({spec}), step {request.get('step', '?')}."
        + _deadline(request.get("deadline")),
    ]
    if link:
        lines.append(f"Open it to decide:\n{link}")
    else:
        lines.append("`podium inbox` shows it, and how to answer it.")
    subject = f"{'Escalated to you' if escalated else 'Waiting for you'}: {title}"
    return message(settings, person.email or "", subject, "\n\n".join(lines) + "\n")


def _deadline(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return ""
    return f" Decide by {when:%Y-%m-%d %H:%M} UTC."
