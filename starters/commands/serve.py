"""``podium serve [--host 127.0.0.1] [--port 8600] [--specs specs] [--clients FILE]``: runs
for web and chat clients over HTTP until Ctrl-C (``starters/serve_app.py``: ``POST /runs``,
``GET /runs/{id}/events`` as server-sent events).

Every request needs a client's bearer token (``--clients``, ``starters/serve_clients.py``).
Without a clients file the server refuses to start, unless ``--insecure-no-auth`` is given
and it listens on loopback only: a developer's own browser, on the same machine.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import uvicorn
from podium.activities.errors import SetupError
from podium.activities.mail import MailSettings
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.devstate import STATE_DIR
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients, load_clients
from podium.starters.web.settings import LINK_S, ConsoleSettings, load_people
from temporalio.client import Client

DEFAULT_PORT = 8600


async def main(
    client: Client | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    specs: str = "specs",
    clients_file: str | None = None,
    insecure_no_auth: bool = False,
    cors_origins: Sequence[str] = (),
    address: str | None = None,
    out: TextIO | None = None,
    console: bool = False,
    people: str | None = None,
    trusted_header: str | None = None,
    base_url: str | None = None,
    link_minutes: float | None = None,
    state: str | None = None,
) -> int:
    """Serve until Ctrl-C; 2 (nothing started) when the options or the clients file are
    wrong. ``console``: with the console's pages (``podium console``), where the HTTP API
    needs ``--clients`` only if API clients are to use it; its sign-in links are mailed
    with ``PODIUM_SMTP_URL``'s server, work for ``link_minutes`` (default 15), once (the
    used ones are remembered in ``state``, default ``.podium``)."""
    out = out or sys.stdout
    command = "podium console" if console else "podium serve"
    try:
        if console and clients_file is None and not insecure_no_auth:
            clients = Clients([])  # pages only: no API client
        else:
            clients = _clients(clients_file, insecure_no_auth, host)
        folder = Path(specs)
        if not folder.is_dir():
            raise SetupError(f"--specs {specs}: no such folder (the specs POST /runs may name)")
        settings = None
        if console:
            settings = ConsoleSettings(
                people=load_people(people) if people else {},
                trusted_header=trusted_header,
                base_url=(base_url or f"http://{host}:{port}").rstrip("/"),
                mail=MailSettings.from_environment(),
                link_s=round(link_minutes * 60) if link_minutes else LINK_S,
                used_links=Path(state or STATE_DIR) / "console-links.db",
            )
    except SetupError as exc:
        print(f"{command}: not started.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    client = client or await connect(address)
    if settings is not None:
        settings.namespace = client.namespace
    app = build_app(
        client, specs=folder, clients=clients, cors_origins=cors_origins, console=settings
    )
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=_log_config()))
    names = (
        "anyone (--insecure-no-auth)"
        if clients.clients is None
        else ", ".join(c.name for c in clients.clients)
    )
    if settings is not None:
        out.write(f"podium console: {settings.base_url}/console/\n")
        if settings.mail is None:
            out.write("podium console: no PODIUM_SMTP_URL, so no sign-in links by e-mail\n")
    out.write(f"{command}: specs from {folder}/; clients: {names or 'none'}. Ctrl-C to stop.\n")
    out.flush()
    await server.serve()
    return exit_codes.OK


def _clients(clients_file: str | None, insecure_no_auth: bool, host: str) -> Clients:
    if clients_file is not None and insecure_no_auth:
        raise SetupError("give --clients or --insecure-no-auth, not both")
    if clients_file is not None:
        return load_clients(clients_file)
    if not insecure_no_auth:
        raise SetupError(
            "every request needs a client's token: give --clients FILE (docs/live-runs.md, "
            "`podium serve`), or --insecure-no-auth to let anyone on this machine in "
            "(loopback only, for development)"
        )
    if not _loopback(host):
        raise SetupError(
            f"--insecure-no-auth listens on loopback only (127.0.0.1, ::1, localhost), not "
            f"{host}: anyone who reaches it could start runs and read them"
        )
    return Clients(None)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _log_config() -> dict:
    """uvicorn's logging, and the server's own lines (who started which run) beside it."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"tickets": {"()": TicketsHidden}}  # and sign-in links' tokens
    config["handlers"]["access"]["filters"] = ["tickets"]
    config["loggers"]["podium.serve"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


class TicketsHidden(logging.Filter):
    """Keeps watch tickets and sign-in links out of the access log (``?ticket=…`` shown as
    ``?ticket=…``, ``/console/sign-in/<token>`` as ``/console/sign-in/…``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.args = tuple(
            SIGN_IN_LINK.sub(r"\1…", TICKET.sub(r"\1…", a)) if isinstance(a, str) else a
            for a in record.args or ()
        )
        return True


TICKET = re.compile(r"([?&]ticket=)[^&\s]*")
SIGN_IN_LINK = re.compile(r"(/console/sign-in/)[^?\s]+")
