"""Which Temporal server the CLI talks to, and one clear line when nothing answers there.

The address is, first to last: ``--address``; ``TEMPORAL_ADDRESS`` (or the address of a
``temporalio.envconfig`` profile); the server ``podium dev`` runs for this folder
(``.podium/dev.json``); ``127.0.0.1:7233``.
"""

from __future__ import annotations

import os
import re

from podium.activities.connection import DEFAULT_ADDRESS
from podium.activities.connection import connect as connect_with_settings
from podium.activities.errors import SetupError
from podium.activities.payloads.settings import PayloadSettings, from_environment
from podium.starters import devstate
from temporalio.client import Client
from temporalio.envconfig import ClientConfig


class TemporalUnreachable(SetupError, RuntimeError):
    """No Temporal frontend answers at the address (nothing listens, wrong host or port)."""


def resolve_address(address: str | None = None) -> tuple[str, str]:
    """``(address, where it came from)`` following the order in the module docstring."""
    if address:
        return address, "--address"
    configured = ClientConfig.load_client_connect_config().get("target_host")
    if configured:
        source = "TEMPORAL_ADDRESS" if os.environ.get("TEMPORAL_ADDRESS") else "your profile"
        return str(configured), source
    recorded = devstate.recorded_address()
    if recorded:
        return recorded, f"`podium dev` in this folder, {devstate.STATE_DIR / devstate.DEV_FILE}"
    return DEFAULT_ADDRESS, "the default"


def payload_settings(address: str | None = None) -> PayloadSettings:
    """Payload store and keys: the environment's; else, when the CLI talks to this
    folder's ``podium dev``, the ones it uses."""
    target, _ = resolve_address(address)
    environ = dict(os.environ)
    if target == devstate.recorded_address():
        environ = {**devstate.folder_payloads(), **environ}
    return from_environment(environ)


def folder_address() -> str | None:
    """The address of this folder's ``podium dev`` when neither ``--address`` nor the
    environment names one (what ``podium worker`` is given)."""
    address, source = resolve_address(None)
    return address if source.startswith("`podium dev`") else None


async def connect(address: str | None = None) -> Client:
    """A client for the resolved address.

    Raises:
        TemporalUnreachable: nothing answers there; the message says what to do.
    """
    target, source = resolve_address(address)
    try:
        return await connect_with_settings(target, payloads=payload_settings(address))
    except RuntimeError as exc:
        if "Failed client connect" not in str(exc):
            raise
        raise TemporalUnreachable(unreachable(target, source, str(exc))) from None


def unreachable(target: str, source: str, error: str) -> str:
    """The one line a user reads when the connection fails."""
    found = re.search(r'message: "([^"]+)"', error) or re.search(r'ConnectError\("([^"]+)"', error)
    reason = found.group(1) if found else "no answer"
    hint = (
        "is it still running? Start `podium dev` here again"
        if source.startswith("`podium dev`")
        else "start `podium dev` in this folder"
    )
    return (
        f"cannot reach Temporal at {target} ({reason}; address from {source}): {hint}, "
        "or point at your server with TEMPORAL_ADDRESS=host:port or --address host:port"
    )
