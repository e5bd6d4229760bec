"""An urgent run's latency under a flood of low-priority runs, against its latency alone.

    .venv/bin/python bench/priority.py [--flood 600] [--probes 5] [--slots 20] [--call-ms 200]

A 3-step spec (scripted agent, 200 ms per call; one worker taking 20 calls at a time, so
the backlog waits in the server's task queue, where priority applies). First
``--probes`` runs alone, one after another: the unloaded latency. Then ``--flood`` runs
at priority 5 are started at once and, while they are queued, ``--probes`` urgent runs
at priority 1, one after another; then the same again with probes at the flood's
priority (the control). Prints each median latency (min–max) and the ratios loaded /
unloaded (target for the urgent run: <= 2). One in-process worker, dev server with
Podium's flags.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import yaml
from harness import finish, spread, start_server
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from temporalio.client import Client, WorkflowHandle
from temporalio.common import Priority


def spec(call_ms: int) -> dict:
    agent = {"model": "scripted", "latency": f"{call_ms}ms", "script": [{"output": "ok"}]}
    return {
        "name": "ticket",
        "agents": {"agents": {"helper": agent}},
        "steps": [{"id": f"s{i}", "agent": "helper"} for i in range(3)],
    }


async def latency(client: Client, plan, priority: Priority | None) -> float:
    start = time.perf_counter()
    await (await start_run(client, plan, {}, priority=priority)).result()
    return time.perf_counter() - start


async def under_flood(client: Client, plan, flood: int, probes: int, urgent: Priority | None):
    """Start ``flood`` low-priority runs (all queued first), then time ``probes`` runs one
    after another while the flood is being worked off."""
    low = Priority(priority_key=5)
    gate = asyncio.Semaphore(100)

    async def start() -> WorkflowHandle:
        async with gate:
            return await start_run(client, plan, {}, priority=low)

    handles = await asyncio.gather(*(start() for _ in range(flood)))
    flooding = [asyncio.ensure_future(h.result()) for h in handles]
    times = [await latency(client, plan, urgent) for _ in range(probes)]
    left = sum(1 for task in flooding if not task.done())
    await asyncio.gather(*flooding)
    return times, left


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=600)
    parser.add_argument("--probes", type=int, default=5)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--call-ms", type=int, default=200)
    args = parser.parse_args()
    env = await start_server()
    client = env.client
    workers = build_workers(client, WorkerOptions(activity_slots=args.slots))
    running = [asyncio.create_task(w.run()) for w in workers]
    folder = Path(tempfile.mkdtemp())
    path = folder / "ticket.yaml"
    path.write_text(yaml.safe_dump(spec(args.call_ms)))
    plan = compile_spec(path)
    await latency(client, plan, None)  # warm up
    alone = [await latency(client, plan, Priority(priority_key=1)) for _ in range(args.probes)]
    urgent, left_u = await under_flood(
        client, plan, args.flood, args.probes, Priority(priority_key=1)
    )
    same = Priority(priority_key=5)  # the control: probes no more urgent than the flood
    control, left_c = await under_flood(client, plan, args.flood, args.probes, same)
    print(
        f"3-step runs, {args.call_ms} ms per call, {args.slots} calls at a time; flood of "
        f"{args.flood} runs at priority 5 (all started first); cores={os.cpu_count()}"
    )
    print(f"alone:                        s/run {spread(alone)}")
    print(
        f"urgent (priority 1) in flood: s/run {spread(urgent)} "
        f"({left_u} flood runs still unfinished when the last probe ended)"
    )
    print(
        f"priority 5 (as the flood):    the first probe took {control[0]:.2f} s (it queued "
        f"behind the flood; {left_c} flood runs unfinished after the last probe)"
    )
    med = sorted(alone)[len(alone) // 2]
    print(
        f"ratio urgent in flood / alone: {sorted(urgent)[len(urgent) // 2] / med:.2f} "
        f"(target <= 2); first same-priority probe / alone: {control[0] / med:.1f}"
    )
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
