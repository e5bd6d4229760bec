"""Shared benchmark plumbing: a dev server with Podium's flags, in-process workers, stats."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.starters.devserver import DYNAMIC_CONFIG, temporal_binary  # noqa: E402
from podium.workers.worker import WorkerOptions, build_workers  # noqa: E402
from podium.workflows import search_attributes as sa  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402


def spread(values: Sequence[float], digits: int = 2) -> str:
    """``median M (min A – max B)``."""
    med, low, high = statistics.median(values), min(values), max(values)
    return f"median {med:.{digits}f} (min {low:.{digits}f} – max {high:.{digits}f})"


async def start_server() -> WorkflowEnvironment:
    """A local dev server with the flags ``podium dev`` uses."""
    extra = []
    for key, value in DYNAMIC_CONFIG.items():
        extra += ["--dynamic-config-value", f"{key}={value}"]
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
        dev_server_extra_args=extra,
    )


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
