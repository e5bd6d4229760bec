"""How ``bench/peak.py`` starts a peer variant: its client and its worker processes."""

from __future__ import annotations

import importlib
import subprocess
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from podium.workers.worker import DEFAULT_ACTIVITY_SLOTS
from scaleout import start_workers
from temporalio.client import Client

BENCH = Path(__file__).resolve().parent.parent


async def launch(
    variant: str, address: str, workers: int, log: Path, call_ms: int, unsandboxed: bool
) -> tuple[Client, Callable[[str, dict[str, str]], Awaitable[Any]], list[subprocess.Popen[bytes]]]:
    """A client with the framework's plugin, how to start one run with it (workflow id,
    ticket), and ``workers`` processes of ``peers.worker`` serving ``variant``."""
    flow = importlib.import_module(f"peers.{variant}_flow")
    client = await Client.connect(address, plugins=[flow.plugin()])
    command = (
        *("-m", "peers.worker", variant),
        f"--call-ms={call_ms}",
        f"--activity-slots={DEFAULT_ACTIVITY_SLOTS}",  # as a podium worker's provider queue
        *(["--unsandboxed"] if unsandboxed else []),
    )
    processes = start_workers(
        address, workers, log, command, ready=b"peer worker ready", path=(BENCH.parent, BENCH)
    )
    return client, partial(flow.start, client), processes
