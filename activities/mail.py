"""Sending e-mail over SMTP: the console's sign-in links, the worker's notifications.

Configured from the environment, on whichever process sends (the console, the worker):

    PODIUM_SMTP_URL=smtp://podium%40example.com@mail.example.com:587   user optional
    PODIUM_SMTP_PASSWORD=…                    never in the URL (URLs end up in logs)
    PODIUM_SMTP_STARTTLS=1                    default: on, except to a loopback server
    PODIUM_MAIL_FROM="Podium <podium@example.com>"

``smtps://`` speaks TLS from the first byte (port 465) instead of upgrading with STARTTLS.
The standard library's ``smtplib`` does the talking, in a thread: a mail is one short
exchange, and no dependency is needed for it. Nothing here logs or repeats a password or
a message's text (a sign-in link in it is a key to someone's account).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from podium.activities.errors import SetupError

SMTP_URL_ENV = "PODIUM_SMTP_URL"
SMTP_PASSWORD_ENV = "PODIUM_SMTP_PASSWORD"
SMTP_STARTTLS_ENV = "PODIUM_SMTP_STARTTLS"
MAIL_FROM_ENV = "PODIUM_MAIL_FROM"
TIMEOUT_S = 10.0
"""How long one SMTP exchange may take (a notification activity has 15 s)."""


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes out and who it is from."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    tls: bool = False
    """``smtps://``: TLS from the first byte (then no STARTTLS)."""

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> MailSettings | None:
        """The settings ``PODIUM_SMTP_URL`` and its companions give; None without it.

        Raises:
            SetupError: they are wrong (the message names the variable, never a password).
        """
        url = env.get(SMTP_URL_ENV, "").strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SetupError(
                f"{SMTP_URL_ENV} must read smtp://[user@]host[:port] or smtps://…, "
                f"not {parts.scheme or '(no scheme)'}://{parts.hostname or '(no host)'}"
            )
        if parts.password is not None:
            raise SetupError(
                f"{SMTP_URL_ENV} holds a password: give it in {SMTP_PASSWORD_ENV} instead "
                "(URLs are shown and logged)"
            )
        sender = env.get(MAIL_FROM_ENV, "").strip()
        if not sender:
            raise SetupError(f"{SMTP_URL_ENV} is set: {MAIL_FROM_ENV} must say who mail is from")
        user = unquote(parts.username) if parts.username else None
        password = env.get(SMTP_PASSWORD_ENV) or None
        if password and not user:
            raise SetupError(f"{SMTP_PASSWORD_ENV} is set: {SMTP_URL_ENV} must name the user")
        tls = parts.scheme == "smtps"
        starttls = _flag(env, SMTP_STARTTLS_ENV, default=not tls and not _loopback(parts.hostname))
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            sender=sender,
            user=user,
            password=password,
            starttls=starttls and not tls,
            tls=tls,
        )


def message(settings: MailSettings, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text mail from Podium (marked as sent by a machine: no auto-replies)."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Subject"] = " ".join(subject.split())  # a title's line breaks cannot forge headers
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].partition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    return mail


async def send_mail(settings: MailSettings, mail: EmailMessage) -> None:
    """Hand ``mail`` to the SMTP server.

    Raises:
        OSError: it was not accepted (``smtplib.SMTPException`` and ``ssl.SSLError`` are
            ``OSError``s); the message never holds the password or the mail's text.
    """
    await asyncio.to_thread(_send, settings, mail)


def _send(settings: MailSettings, mail: EmailMessage) -> None:
    context = ssl.create_default_context()
    if settings.tls:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=TIMEOUT_S, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_S)
    with server:
        if settings.starttls:
            server.starttls(context=context)
        if settings.user:
            server.login(settings.user, settings.password or "")
        server.send_message(mail)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SetupError(f"{name} must be 1 or 0 (true or false), not {value!r}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
