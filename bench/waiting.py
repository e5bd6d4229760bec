"""Memory of waiting: N runs parked at an approval, then N decisions.

Starts a dev server and one worker process (as `podium worker` runs), starts N runs
that each reach an approval and wait, then prints the resident memory (RSS) of the
worker and of the server once all wait, per waiting run, and the time from sending N
decisions to all runs completed.

    .venv/bin/python bench/waiting.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from harness import finish_process
from podium.activities.connection import connect
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import DevServer, free_port, stop_process
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput

SPEC = {
    "name": "bench_waiting",
    "agents": {"agents": {"screener": {"model": "scripted"}}},
    "steps": [
        {"id": "screen", "agent": "screener", "with": {"n": "input.n"}},
        {"id": "signoff", "approval": {"title": "Approve #{{ input.n }}", "approvers": ["desk"]}},
    ],
}


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def bounded(coros: list, limit: int = 50) -> list:
    gate = asyncio.Semaphore(limit)

    async def one(coro):  # type: ignore[no-untyped-def]
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    server = DevServer(port=free_port(), ui_port=None)
    server.start()
    log = Path(tempfile.mkdtemp()) / "worker.log"
    with log.open("ab") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "podium.workers", "--address", server.address],
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    try:
        while b"podium worker ready" not in log.read_bytes():
            await asyncio.sleep(0.1)
        client = await connect(server.address)
        spec_path = Path(tempfile.mkdtemp()) / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(SPEC))
        plan = compile_spec(spec_path)
        idle_worker = rss_mb(worker.pid)
        started = time.perf_counter()
        handles = await bounded([start_run(client, plan, {"n": i}) for i in range(args.runs)])
        query = "PodiumNeedsHuman = true AND PodiumSpec = 'bench_waiting'"
        while (await client.count_workflows(query)).count < args.runs:
            await asyncio.sleep(0.5)
        to_wait = time.perf_counter() - started
        await asyncio.sleep(2)  # let memory settle
        w_rss, s_rss = rss_mb(worker.pid), rss_mb(server.process.pid)  # type: ignore[union-attr]
        started = time.perf_counter()
        await bounded(
            [
                send_decision(
                    h, DecisionInput(request_id="signoff-1", outcome="approve", by="desk")
                )
                for h in handles
            ]
        )
        await bounded([h.result() for h in handles])
        to_done = time.perf_counter() - started
        print(
            f"{args.runs} runs waiting at an approval (reached in {to_wait:.1f} s), "
            f"cores={os.cpu_count()}"
        )
        print(
            f"worker RSS: {w_rss:.0f} MB total ({idle_worker:.0f} MB idle before), "
            f"{(w_rss - idle_worker) * 1024 / args.runs:.0f} KB per waiting run; target <= 400 MB"
        )
        print(
            f"server RSS: {s_rss:.0f} MB total, {s_rss * 1024 / args.runs:.0f} KB per waiting run"
        )
        print(
            f"{args.runs} decisions sent → all runs completed in {to_done:.1f} s "
            f"({args.runs / to_done:.0f} decisions/s)"
        )
    finally:
        stop_process(worker)
        server.stop()
    finish_process()


if __name__ == "__main__":
    asyncio.run(main())
