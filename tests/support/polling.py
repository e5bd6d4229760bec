"""Waiting on a condition with a deadline, instead of sleeping for a state to arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 30.0, every: float = 0.1
) -> T:
    """Call ``probe`` until it returns something truthy; fail naming ``what`` after
    ``timeout`` seconds (generous: tests must pass on a loaded machine). ``every`` spaces
    out probes that are costly (a CLI subprocess, a visibility count)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


def eventually_sync(
    probe: Callable[[], T | None], what: str, timeout: float = 30.0, every: float = 0.1
) -> T:
    """``eventually`` for synchronous tests (subprocesses, the browser): call ``probe``
    until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
