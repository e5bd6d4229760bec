"""Runs per second with 1, 2 and 4 worker processes, and where the server saturates.

    .venv/bin/python bench/scaleout.py [--runs 300] [--workers 1 2 4] [--call-ms 200]

A support-triage shaped spec (triage → a routed specialist → a reply and its review: four
agent calls, scripted, ``--call-ms`` each) started ``--runs`` times at once against one
dev server, served by K separate ``podium worker`` processes. For each K: runs/s, p50/p95
run latency, the server's CPU use (its CPU seconds per wall second: 2.0 means both cores)
and the workers' together. Where adding workers stops adding runs/s while the server's
CPU use stays flat near the machine's cores, the server is the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from harness import finish, start_server
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.plan import Plan
from temporalio.client import Client
from throughput import cpu_s, server_pid

ROOT = Path(__file__).resolve().parent.parent


def spec(call_ms: int) -> dict:
    def agent(output: dict) -> dict:
        return {"model": "scripted", "latency": f"{call_ms}ms", "script": [{"output": output}]}

    agents = {
        "triage": agent({"category": "billing"}),
        "billing": agent({"answer": "refund issued"}),
        "generalist": agent({"answer": "we will look into it"}),
        "writer": agent({"reply": "Dear customer, your refund is on its way."}),
        "reviewer": agent({"approved": True}),
    }
    return {
        "name": "triage_bench",
        "agents": {"agents": agents},
        "steps": [
            {"id": "triage", "agent": "triage"},
            {
                "id": "answer",
                "route": {
                    "on": "steps.triage.output.category",
                    "cases": {"billing": {"agent": "billing"}},
                    "default": {"agent": "generalist"},
                },
            },
            {
                "id": "reply",
                "refine": {
                    "producer": {"agent": "writer"},
                    "reviewer": {"agent": "reviewer"},
                    "until": "vars.review.approved",
                    "max_rounds": 2,
                },
            },
        ],
    }


def start_workers(
    address: str,
    count: int,
    log: Path,
    command: tuple[str, ...] = ("-m", "podium.workers"),
    ready: bytes = b"podium worker ready",
    path: tuple[Path, ...] = (ROOT,),
) -> list[subprocess.Popen[bytes]]:
    """``count`` worker processes (``python <command> --address <address>`` with ``path``
    as PYTHONPATH), each once it has printed ``ready``."""
    processes = []
    for _ in range(count):
        out = log.open("ab")
        mark = log.stat().st_size
        process = subprocess.Popen(
            [sys.executable, *command, "--address", address],
            cwd=ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(map(str, path)),
                "PYTHONUNBUFFERED": "1",
            },
        )
        deadline = time.monotonic() + 30
        while ready not in log.read_bytes()[mark:]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"a worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        processes.append(process)
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def timed(client: Client, plan: Plan, gate: asyncio.Semaphore) -> float:
    """Seconds from asking to start a run to its end."""
    start = time.perf_counter()
    async with gate:
        handle = await start_run(client, plan, {})
    await handle.result()
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--call-ms", type=int, default=200)
    args = parser.parse_args()
    env = await start_server()
    client = env.client
    address = client.service_client.config.target_host
    server = server_pid(address.rsplit(":", 1)[1])
    folder = Path(tempfile.mkdtemp())
    path = folder / "triage.yaml"
    path.write_text(yaml.safe_dump(spec(args.call_ms)))
    plan = compile_spec(path)
    log = folder / "workers.log"
    log.touch()
    print(f"{args.runs} runs at once, 4 calls of {args.call_ms} ms each; cores={os.cpu_count()}")
    print("workers  runs/s  p50 s  p95 s  server CPU  workers CPU")
    for count in args.workers:
        workers = start_workers(address, count, log)
        try:
            await (await start_run(client, plan, {})).result()  # warm up
            gate = asyncio.Semaphore(200)
            before = [cpu_s(p.pid) for p in workers]
            s0, t0 = cpu_s(server) if server else 0.0, time.perf_counter()
            latencies = list(
                await asyncio.gather(*(timed(client, plan, gate) for _ in range(args.runs)))
            )
            took = time.perf_counter() - t0
            busy_server = ((cpu_s(server) if server else 0.0) - s0) / took
            busy_workers = sum(cpu_s(p.pid) - b for p, b in zip(workers, before, strict=True))
        finally:
            stop(workers)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"{count:7d}  {args.runs / took:6.1f}  {statistics.median(latencies):5.2f}  "
            f"{p95:5.2f}  {busy_server:10.2f}  {busy_workers / took:11.2f}"
        )
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
