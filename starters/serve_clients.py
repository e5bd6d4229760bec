"""Who may use ``podium serve``: the clients file, and telling a client by its token.

    clients:
      - name: web_chat                      # shown in the server's log, never the token
        token_env: PODIUM_TOKEN_WEB_CHAT    # the variable holding its bearer token
        specs: [support_triage]             # the specs it may start and watch ("*": all)

Tokens are read from the environment when the server starts (no secret is written in
the file); each must be set, at least ``MIN_TOKEN_LENGTH`` characters, and used by one
client only. A request's ``Authorization: Bearer <token>`` is compared with every
client's token in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from podium.compiler.entries import Strict
from podium.starters.settings_file import problems_error, read_checked
from pydantic import Field

MIN_TOKEN_LENGTH = 16
"""Shorter tokens can be guessed (``openssl rand -hex 32`` makes a good one)."""
ANY_SPEC = "*"


class ClientEntry(Strict):
    """One client of ``podium serve``."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    specs: list[str] = Field(min_length=1)


class ClientsFile(Strict):
    """The clients file of ``podium serve --clients``."""

    clients: list[ClientEntry] = Field(min_length=1)


@dataclass(frozen=True)
class ServeClient:
    """A client the server knows: its name and the specs it may use."""

    name: str
    specs: frozenset[str]
    digest: bytes = b""
    """SHA-256 of its token (compared, never the token itself)."""

    def allows(self, spec: str) -> bool:
        """Whether this client may start and watch runs of ``spec``."""
        return ANY_SPEC in self.specs or spec in self.specs


ANYONE = ServeClient("anyone", frozenset({ANY_SPEC}))
"""Every request, when the server runs with ``--insecure-no-auth``."""


class Clients:
    """Tells a request's client by its bearer token (None: every request is ``ANYONE``)."""

    def __init__(self, clients: list[ServeClient] | None) -> None:
        self.clients = clients

    def identify(self, authorization: str | None) -> ServeClient | None:
        """The client whose token ``authorization`` (the header) carries, else None."""
        if self.clients is None:
            return ANYONE
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        given = _digest(token.strip())
        found = None
        for client in self.clients:  # every one, so the time says nothing of which
            if hmac.compare_digest(given, client.digest):
                found = client
        return found

    def named(self, name: str) -> ServeClient | None:
        """The client called ``name`` (a watch ticket names whom it was given to)."""
        if self.clients is None:
            return ANYONE
        return next((c for c in self.clients if c.name == name), None)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def load_clients(path: str | Path, environ: Mapping[str, str] | None = None) -> Clients:
    """Read the clients file and their tokens from ``environ`` (default: the process's).

    Raises:
        SetupError: the file is unreadable or wrong, or a token is missing, short or
            shared (every problem, with its line; never a token's value).
    """
    environ = os.environ if environ is None else environ
    doc, parsed, report = read_checked(Path(path), ClientsFile, "clients file")
    clients: list[ServeClient] = []
    names: set[str] = set()
    owners: dict[bytes, str] = {}
    for i, entry in enumerate(parsed.clients):
        if entry.name in names:
            report.problem(doc, ("clients", i, "name"), f"client {entry.name!r} is named twice")
        names.add(entry.name)
        token = environ.get(entry.token_env, "").strip()
        where = ("clients", i, "token_env")
        if not token:
            report.problem(
                doc,
                where,
                f"{entry.token_env} is not set (client {entry.name!r}'s token)",
                hint=f"export {entry.token_env}=$(openssl rand -hex 32) where the server runs",
            )
            continue
        if len(token) < MIN_TOKEN_LENGTH:
            report.problem(
                doc,
                where,
                f"{entry.token_env} is shorter than {MIN_TOKEN_LENGTH} characters",
                hint="use a long random token, e.g. openssl rand -hex 32",
            )
        digest = _digest(token)
        if digest in owners:
            report.problem(
                doc,
                where,
                f"client {entry.name!r} has the same token as {owners[digest]!r}",
                hint="give every client a token of its own",
            )
        owners[digest] = entry.name
        clients.append(ServeClient(entry.name, frozenset(entry.specs), digest))
    if report.problems:
        raise problems_error(report, "clients file")
    return Clients(clients)
