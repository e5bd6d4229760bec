"""A real SMTP server on a loopback port (aiosmtpd) that keeps every mail it accepts: what
the console's sign-in links and the worker's notifications are sent to in tests."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from podium.activities.mail import MailSettings
from podium.starters.devserver import free_port

SENDER = "Podium <podium@example.com>"


@dataclass
class Mailbox:
    """The server's address and what it was given."""

    host: str
    port: int
    mails: list[EmailMessage] = field(default_factory=list)

    @property
    def settings(self) -> MailSettings:
        """``MailSettings`` that send here (plain SMTP: the server is on loopback)."""
        return MailSettings(host=self.host, port=self.port, sender=SENDER, starttls=False)

    def environment(self) -> dict[str, str]:
        """The same, as a worker or console reads them from its environment."""
        return {"PODIUM_SMTP_URL": f"smtp://{self.host}:{self.port}", "PODIUM_MAIL_FROM": SENDER}

    def to(self, address: str) -> list[EmailMessage]:
        """The mails sent to ``address``."""
        return [m for m in self.mails if m["To"] == address]


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """``with smtp_server() as mailbox``: an SMTP server listening until the block ends."""
    box = Mailbox("127.0.0.1", free_port())

    class Keep:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
            mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
            box.mails.append(mail)
            return "250 kept"

    controller = Controller(Keep(), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
