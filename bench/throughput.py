"""Runs per second: N runs of a 3-step flow at once, through Podium and through the same
flow hand-written on temporalio (three activities in a row), one worker process.

    .venv/bin/python bench/throughput.py [--runs 300] [--rounds 3]

Podium: a 3-step spec of a zero-latency scripted agent, as regular activities and
declared ``fast`` (local activities). Hand-written: ``BenchChain(3)``, in temporalio's
default workflow sandbox and outside it (Podium's workers run its workflows outside).
Same dev server (Podium's flags), workers in this process, variants alternating. Prints
runs/s, the dev server's CPU per run and this process's CPU per run (workers and the
client starting the runs), each as median (min–max), and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from baseline import BASELINE_QUEUE, BASELINE_WORKFLOW_QUEUE, BenchChain, echo
from harness import finish, run_workers, spread, start_server
from overhead import podium_plan
from podium.starters.launch import start_run
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

TICKS = os.sysconf("SC_CLK_TCK")
DIRECT_QUEUE = "bench-orchestration-direct"


def server_pid(port: str) -> int | None:
    """The dev server's process (found by its command line)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "start-dev" in cmd and f"--port {port}" in cmd:
            return int(entry.name)
    return None


def cpu_s(pid: int | str) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def many(start_one: Callable[[int], Awaitable[None]], runs: int) -> None:
    """Start ``runs`` runs at once (a few hundred starts in flight) and wait for all."""
    gate = asyncio.Semaphore(200)

    async def one(i: int) -> None:
        async with gate:
            await start_one(i)

    await asyncio.gather(*(one(i) for i in range(runs)))


async def measure(
    start_one: Callable[[int], Awaitable[None]], runs: int, server: int | None
) -> tuple[float, float, float]:
    """(runs/s, server CPU ms per run, this process's CPU ms per run)."""
    s0, w0, t0 = cpu_s(server) if server else 0.0, cpu_s("self"), time.perf_counter()
    await many(start_one, runs)
    took = time.perf_counter() - t0
    s1, w1 = cpu_s(server) if server else 0.0, cpu_s("self")
    return runs / took, 1000 * (s1 - s0) / runs, 1000 * (w1 - w0) / runs


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = await start_server()
    client: Client = env.client
    baseline = [
        Worker(client, task_queue=BASELINE_QUEUE, activities=[echo], max_concurrent_activities=200),
        Worker(
            client,
            task_queue=BASELINE_WORKFLOW_QUEUE,
            workflows=[BenchChain],
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
        ),
        Worker(  # the same, outside the sandbox (as Podium's workers run its workflows)
            client,
            task_queue=DIRECT_QUEUE,
            workflows=[BenchChain],
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
    ]
    running = await run_workers(env, baseline)
    port = client.service_client.config.target_host.rsplit(":", 1)[1]
    server = server_pid(port)
    plan, fast_plan = podium_plan(3), podium_plan(3, fast=True)

    async def podium(_: int) -> None:
        await (await start_run(client, plan, {})).result()

    async def podium_fast(_: int) -> None:
        await (await start_run(client, fast_plan, {})).result()

    async def hand(_: int, queue: str = BASELINE_WORKFLOW_QUEUE) -> None:
        await client.execute_workflow(
            BenchChain.run, 3, id=f"bench-chain-{uuid.uuid4().hex[:8]}", task_queue=queue
        )

    async def hand_direct(i: int) -> None:
        await hand(i, DIRECT_QUEUE)

    variants = {"podium": podium, "fast": podium_fast, "hand": hand, "direct": hand_direct}
    for run_one in variants.values():  # warm up
        await measure(run_one, 20, server)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run_one in variants.items():
            results[name].append(await measure(run_one, args.runs, server))
    print(
        f"{args.runs} runs of a 3-step flow at once, {args.rounds} alternating rounds, "
        f"cores={os.cpu_count()}"
    )
    for name, label in (
        ("podium", "podium      "),
        ("fast", "podium fast "),
        ("hand", "hand-written"),
        ("direct", "hand, direct"),
    ):
        rows = results[name]
        print(
            f"{label} runs/s: {spread([r[0] for r in rows])}; server CPU ms/run: "
            f"{spread([r[1] for r in rows], 1)}; worker CPU ms/run: "
            f"{spread([r[2] for r in rows], 1)}"
        )
    fast = results["fast"]
    for name in ("hand", "direct"):
        h = results[name]
        fast_ratio = spread([a[0] / b[0] for a, b in zip(fast, h, strict=True)], 3)
        print(f"ratio runs/s podium fast (local calls) / {name}: {fast_ratio}")
    p = results["podium"]
    for name, what in (
        ("hand", "hand-written in temporalio's default sandbox"),
        ("direct", "hand-written outside the sandbox, as Podium runs"),
    ):
        h = results[name]
        ratios = spread([a[0] / b[0] for a, b in zip(p, h, strict=True)], 3)

        def ratio(field: int, h: list[tuple[float, float, float]] = h) -> float:
            return statistics.median(a[field] for a in p) / statistics.median(b[field] for b in h)

        print(
            f"ratio runs/s podium / {what}: {ratios}; target >= 0.95; "
            f"server CPU/run {ratio(1):.2f}, worker CPU/run {ratio(2):.2f}"
        )
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
