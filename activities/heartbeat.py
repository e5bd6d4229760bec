"""Heartbeat an activity while it awaits something slow (a model call)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from temporalio import activity


@asynccontextmanager
async def heartbeating(every_s: float, details: Sequence[Any] = ()) -> AsyncIterator[None]:
    """Send a heartbeat every ``every_s`` seconds until the block exits, with ``details``
    as they are at each beat (what the activity waits for, shown in the Web UI).

    A dead worker is then noticed after the heartbeat timeout, not after the whole
    start-to-close timeout, so the call is retried elsewhere quickly.
    """

    async def beat() -> None:
        # The first beat waits one interval: a fast call then sends no heartbeat at all
        # (each one is a server round trip), and the heartbeat timeout still holds.
        while True:
            await asyncio.sleep(every_s)
            activity.heartbeat(*details)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
