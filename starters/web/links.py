"""Sign-in links: signed, expiring, single use.

A link is ``{base_url}/console/sign-in/{token}``. Its token says whom it signs in, where
they go next, when it stops working and the link's own id, signed with the console's
secret (itsdangerous, under a salt of its own: neither a session cookie nor a CSRF token
can pass for one, nor one for them). Anyone may read a token; nobody can change one.

A used link's id is written to a small SQLite file (``ConsoleSettings.used_links``) and
kept until the link would have expired anyway, so a link works once even across a
restart of the console. Consoles behind one address share that file (or send a person's
requests to one console): a link used at one must be refused by the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "podium.console.sign-in-link"

Refusal = Literal["invalid", "expired", "used"]


class LinkRefused(Exception):
    """A sign-in link that does not sign anyone in (``reason`` says why)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


@dataclass(frozen=True)
class SignInLink:
    """What a valid link's token says."""

    person: str
    link_id: str
    expires: float
    next: str


class UsedLinks:
    """The ids of links used already, in SQLite at ``path`` (made on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def spend(self, link_id: str, until: float) -> bool:
        """Record ``link_id`` as used; False if it was already."""
        return await asyncio.to_thread(self._spend, link_id, until)

    async def used(self, link_id: str) -> bool:
        """Whether ``link_id`` was used already."""
        return await asyncio.to_thread(self._used, link_id)

    def _spend(self, link_id: str, until: float) -> bool:
        with self._open() as db, db:
            db.execute("DELETE FROM used WHERE until < ?", (time.time(),))  # expired anyway
            try:
                db.execute("INSERT INTO used (id, until) VALUES (?, ?)", (link_id, until))
            except sqlite3.IntegrityError:
                return False
            return True

    def _used(self, link_id: str) -> bool:
        with self._open() as db:
            return db.execute("SELECT 1 FROM used WHERE id = ?", (link_id,)).fetchone() is not None

    def _open(self) -> closing[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5.0)
        db.execute("CREATE TABLE IF NOT EXISTS used (id TEXT PRIMARY KEY, until REAL NOT NULL)")
        return closing(db)


class SignInLinks:
    """Makes sign-in links and checks them.

    Args:
        secret: the console's secret (``ConsoleSettings.secret``).
        valid_s: how long a link works.
        used: where used links are remembered.
        clock: the time now, in seconds since the epoch (a test's links can be old).
    """

    def __init__(
        self,
        secret: str,
        valid_s: float,
        used: UsedLinks,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._serializer = URLSafeSerializer(
            secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.valid_s = valid_s
        self.used = used
        self.clock = clock

    def make(self, person_id: str, next_path: str) -> str:
        """A new link's token for ``person_id``, going on to ``next_path``."""
        expires = self.clock() + self.valid_s
        body = {"p": person_id, "i": secrets.token_urlsafe(12), "e": expires, "n": next_path}
        return str(self._serializer.dumps(body))

    async def check(self, token: str) -> SignInLink:
        """What ``token`` says, if it may still sign someone in; else ``LinkRefused``."""
        link = self._read(token)
        if await self.used.used(link.link_id):
            raise LinkRefused("used")
        return link

    async def spend(self, token: str) -> SignInLink:
        """Use the link: what it says, once; ``LinkRefused`` after that."""
        link = self._read(token)
        if not await self.used.spend(link.link_id, link.expires):
            raise LinkRefused("used")
        return link

    def _read(self, token: str) -> SignInLink:
        try:
            body = self._serializer.loads(token)
            link = SignInLink(
                person=str(body["p"]),
                link_id=str(body["i"]),
                expires=float(body["e"]),
                next=str(body["n"]),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            raise LinkRefused("invalid") from None
        if self.clock() >= link.expires:
            raise LinkRefused("expired")
        return link
