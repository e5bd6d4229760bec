"""Shared benchmark plumbing: a dev server with Podium's flags, in-process workers, stats."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from baseline import BASELINE_WORKFLOW_QUEUE  # noqa: E402
from podium.starters.devserver import local_environment  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402
from podium.workers.worker import WorkerOptions, build_workers  # noqa: E402
from podium.workflows.plan import Plan  # noqa: E402
from temporalio.client import Client  # noqa: E402
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


async def per_unit_against_baseline(
    client: Client,
    plan: Plan,
    baseline: Any,
    units: int,
    *,
    rounds: int,
    unit: str,
    heading: str,
) -> None:
    """Run ``plan`` through Podium and the hand-written ``baseline`` workflow (called with
    ``units``) alternately; print ms per ``unit`` of each and the ratio (target ≤ 1.2)."""

    async def podium() -> float:
        start = time.perf_counter()
        await (await start_run(client, plan, {})).result()
        return time.perf_counter() - start

    async def hand() -> float:
        start = time.perf_counter()
        await client.execute_workflow(
            baseline,
            units,
            id=f"bench-{uuid.uuid4().hex[:8]}",
            task_queue=BASELINE_WORKFLOW_QUEUE,
        )
        return time.perf_counter() - start

    podium_s, hand_s = await alternate(podium, hand, rounds)
    ratios = [x / y for x, y in zip(podium_s, hand_s, strict=True)]
    print(f"{heading}, {rounds} alternating rounds, cores={os.cpu_count()}")
    print(f"podium       ms/{unit}: {spread([1000 * x / units for x in podium_s])}")
    print(f"hand-written ms/{unit}: {spread([1000 * x / units for x in hand_s])}")
    print(f"ratio podium / hand-written: {spread(ratios, 3)}; target <= 1.2")


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
