"""Watch tickets: how a browser's ``EventSource`` (which cannot send an ``Authorization``
header) reads one run's events without ever holding a client's token.

A client's backend starts a run (``POST /runs``, its bearer token) or asks for a ticket
for a run it may watch (``POST /runs/{id}/tickets``) and hands the ticket to the page,
which opens ``GET /runs/{id}/events?ticket=…``. A ticket is signed by the server
(HMAC-SHA256), names one run and the client it was given to, reads that run's events
only, and expires (``TICKET_S``). Its key comes from ``PODIUM_SERVE_TICKET_KEY`` (set the
same value on every instance behind one address), else it is made when the server starts
(tickets then end with the process; a page asks its backend for a new one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time

TICKET_S = 3600
"""How long a ticket lets its page (re)connect to the run's events."""
KEY_ENV = "PODIUM_SERVE_TICKET_KEY"


class Tickets:
    """Gives and checks watch tickets."""

    def __init__(self, key: bytes | None = None, ttl_s: int = TICKET_S) -> None:
        configured = os.environ.get(KEY_ENV, "")
        self.key = key or configured.encode() or secrets.token_bytes(32)
        self.ttl_s = ttl_s

    def give(self, run_id: str, client: str) -> str:
        """A ticket to watch ``run_id``, given to ``client``."""
        expires = int(time.time()) + self.ttl_s
        body = f"{expires}:{client}:{run_id}".encode()
        return _b64(body) + "." + _b64(self._sign(body))

    def check(self, ticket: str, run_id: str) -> str | None:
        """The client the ticket was given to, if it is valid for ``run_id`` now."""
        body_text, _, signature = ticket.partition(".")
        try:
            body = base64.urlsafe_b64decode(body_text + "=" * (-len(body_text) % 4))
            given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        except ValueError:
            return None
        if not hmac.compare_digest(given, self._sign(body)):
            return None
        expires, client, ticket_run = body.decode().split(":", 2)
        if ticket_run != run_id or int(expires) < time.time():
            return None
        return client

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
