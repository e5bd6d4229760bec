"""Podium worker processes for fault tests: start one, wait until it serves, kill it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.polling import eventually, eventually_sync

ROOT = Path(__file__).resolve().parents[2]


def start_worker(
    address: str,
    log: Path,
    namespace: str,
    *extra: str,
    env: dict[str, str] | None = None,
    wrapper: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """``python -m workers`` in its own process group (``env`` added to this process's
    environment; ``wrapper``: a command it runs under, e.g. ``ip netns exec <host>``);
    returns once it says it is ready."""
    out = log.open("ab")
    mark = log.stat().st_size
    process = subprocess.Popen(
        [
            *wrapper,
            sys.executable,
            "-m",
            "podium.workers",
            "--address",
            address,
            "--namespace",
            namespace,
            *extra,
        ],
        cwd=ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
    )

    def ready() -> bool:
        assert process.poll() is None, log.read_text()
        return b"podium worker ready" in log.read_bytes()[mark:]

    eventually_sync(ready, f"'podium worker ready' in {log}", timeout=30)
    return process


async def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout_s``."""

    async def probe() -> bool:
        return predicate()

    await eventually(probe, what, timeout_s)
