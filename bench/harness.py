"""Shared benchmark plumbing: a dev server with Podium's flags, in-process workers, stats."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.starters.devserver import local_environment  # noqa: E402
from podium.workers.worker import WorkerOptions, build_workers  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402


def spread(values: Sequence[float], digits: int = 2) -> str:
    """``median M (min A – max B)``."""
    med, low, high = statistics.median(values), min(values), max(values)
    return f"median {med:.{digits}f} (min {low:.{digits}f} – max {high:.{digits}f})"


async def alternate(
    podium: Callable[[], Awaitable[float]], hand: Callable[[], Awaitable[float]], rounds: int
) -> tuple[list[float], list[float]]:
    """Warm both up, then run them alternately ``rounds`` times; their times."""
    await podium()
    await hand()
    first: list[float] = []
    second: list[float] = []
    for _ in range(rounds):
        first.append(await podium())
        second.append(await hand())
    return first, second


async def start_server() -> WorkflowEnvironment:
    """A local dev server with the flags ``podium dev`` uses."""
    return await local_environment()


async def run_workers(env: WorkflowEnvironment, extra: list[Worker]) -> list[asyncio.Task[None]]:
    """Podium's workers plus ``extra`` ones, running in this process."""
    workers = build_workers(env.client, WorkerOptions()) + extra
    return [asyncio.create_task(w.run()) for w in workers]


async def finish(env: WorkflowEnvironment) -> None:
    """Stop the server, then leave (see ``finish_process``)."""
    await env.shutdown()
    finish_process()


def finish_process() -> None:
    """Flush and leave without interpreter teardown (temporalio/sdk-python#300)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
