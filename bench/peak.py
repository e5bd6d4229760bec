"""The peak: N ``support_triage`` runs at once, Podium against a LangGraph baseline.

    .venv/bin/python bench/peak.py [--runs 2000] [--call-ms 200] [--workers 2]
        [--rounds 1] [--variants fast regular sqlite memory]

Podium runs ``specs/support_triage.yaml`` with its catalog (agents/support.yaml) compiled
offline — the scripted model, ``--call-ms`` per call — on one dev server (``podium dev``'s
flags) with ``--workers`` separate worker processes: ``fast`` declares every agent
``fast: true`` (local activities), ``regular`` does not (one activity task per call).
The baseline is the same flow as a LangGraph graph in one process
(``bench/peak_langgraph.py``; bench-only dependencies ``pip install -e '.[bench]'``),
with its SQLite checkpointer (``sqlite``) or in memory (``memory``). Six model calls per
run on both sides. For each variant: runs/s, p50/p95 run latency (asking to start → the
result), CPU seconds of the server and of the workers (or of the LangGraph process),
their peak RSS, failures; then the ratio of each Podium variant's runs/s to
LangGraph+SQLite's (target for ``fast``: >= 0.3). Variants run one after the other,
``--rounds`` times alternating (each Podium round on a fresh dev server); with several
rounds, medians (min–max) of runs/s and of the per-round ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from harness import finish_process, spread, start_server
from peak_langgraph import MESSAGES
from podium.starters.launch import start_run
from podium.workflows.compiler import compile_spec
from podium.workflows.plan import Plan
from scaleout import start_workers, stop
from temporalio.client import Client, WorkflowExecutionStatus
from throughput import cpu_s, server_pid

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def peak_plan(folder: Path, call_ms: int, fast: bool) -> Plan:
    """support_triage with its catalog, every agent ``latency: <call_ms>ms`` (and
    ``fast: true``), compiled offline."""
    catalog = yaml.safe_load((ROOT / "agents/support.yaml").read_text())
    for agent in catalog["agents"].values():
        agent["latency"] = f"{call_ms}ms"
        agent["fast"] = fast
    name = "fast" if fast else "regular"
    (folder / f"support-{name}.yaml").write_text(yaml.safe_dump(catalog))
    spec = (ROOT / "specs/support_triage.yaml").read_text()  # (as text: it has `on:` keys)
    path = folder / f"support_triage_{name}.yaml"
    path.write_text(spec.replace("agents: ../agents/support.yaml", f"agents: support-{name}.yaml"))
    return compile_spec(path, offline=True)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def podium_peak(
    client: Client, plan: Plan, runs: int, workers: list[subprocess.Popen[bytes]], server: int
) -> dict[str, Any]:
    """Start ``runs`` runs at once, wait until none is running (counted in visibility:
    2,000 result long-polls would exceed the server's per-namespace poller limit), then
    read each run's end from its description."""
    prefix = f"peak-{uuid.uuid4().hex[:6]}"
    asked: dict[str, datetime] = {}
    gate = asyncio.Semaphore(500)  # starts in flight at once

    async def start(i: int) -> None:
        ticket = {"name": f"customer {i}", "message": MESSAGES[i % len(MESSAGES)]}
        run_id = f"{prefix}-{i}"
        async with gate:
            asked[run_id] = datetime.now(UTC)
            await start_run(client, plan, ticket, workflow_id=run_id)

    w0 = sum(cpu_s(p.pid) for p in workers)
    s0, t0 = cpu_s(server), time.perf_counter()
    await asyncio.gather(*(start(i) for i in range(runs)))
    query = f"WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Running'"
    # Each count is a visibility query the server's CPU pays for: once a second while
    # many runs remain, five times a second near the end (the end is known to 0.2 s).
    while running := (await client.count_workflows(query)).count:
        await asyncio.sleep(0.2 if running < runs // 20 else 1.0)
    took = time.perf_counter() - t0
    server_cpu = cpu_s(server) - s0
    workers_cpu = sum(cpu_s(p.pid) for p in workers) - w0
    latencies: list[float] = []
    failures: list[str] = []
    describe_gate = asyncio.Semaphore(100)

    async def end(run_id: str) -> None:
        async with describe_gate:
            info = await client.get_workflow_handle(run_id).describe()
        if info.status != WorkflowExecutionStatus.COMPLETED or info.close_time is None:
            failures.append(f"{run_id}: {info.status}")
            return
        latencies.append((info.close_time - asked[run_id]).total_seconds())

    await asyncio.gather(*(end(run_id) for run_id in asked))
    latencies.sort()
    return {
        "runs_per_s": runs / took,
        "p50_s": statistics.median(latencies) if latencies else None,
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "server_cpu_s": server_cpu,
        "cpu_s": workers_cpu,
        "server_rss_mb": peak_rss_mb(server),
        "rss_mb": sum(peak_rss_mb(p.pid) for p in workers),
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
    }


def langgraph_peak(runs: int, call_ms: int, checkpointer: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "peak_langgraph.py"),
            f"--runs={runs}",
            f"--call-ms={call_ms}",
            f"--checkpointer={checkpointer}",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def row(name: str, r: dict[str, Any], runs: int) -> str:
    def num(value: Any, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    server = f"{num(r.get('server_cpu_s'), '7.1f')} s / {num(r.get('server_rss_mb'), '4.0f')} MB"
    return (
        f"{name:18s} {r['runs_per_s']:7.1f} {num(r['p50_s'], '6.2f')} {num(r['p95_s'], '6.2f')}"
        f"  {server:>18s}  {r['cpu_s']:7.1f} s / {r['rss_mb']:5.0f} MB"
        f"  {r['failures']}/{runs}"
    )


async def podium_round(args: argparse.Namespace, variant: str, folder: Path) -> dict[str, Any]:
    """One Podium variant's peak on a fresh dev server (an in-memory store holding earlier
    rounds' runs would slow later ones)."""
    env = await start_server()
    client = env.client
    address = client.service_client.config.target_host
    server = server_pid(address.rsplit(":", 1)[1])
    assert server, "the dev server's process was not found"
    log = folder / "workers.log"
    log.touch()
    try:
        plan = peak_plan(folder, args.call_ms, fast=variant == "fast")
        workers = start_workers(address, args.workers, log)
        try:
            warm = {"name": "warm", "message": MESSAGES[0]}
            await (await start_run(client, plan, warm)).result()
            return await podium_peak(client, plan, args.runs, workers, server)
        finally:
            stop(workers)
    finally:
        await env.shutdown()


NAMES = {
    "fast": "podium fast",
    "regular": "podium regular",
    "sqlite": "langgraph+sqlite",
    "memory": "langgraph memory",
}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--call-ms", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds of every variant, alternating"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["fast", "sqlite", "memory"],
        choices=["fast", "regular", "sqlite", "memory"],
    )
    args = parser.parse_args()
    args.variants = list(dict.fromkeys(args.variants))  # each once, in the order given
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in args.variants}
    folder = Path(tempfile.mkdtemp())
    print(
        f"{args.runs} support_triage runs at once, 6 calls of {args.call_ms} ms each, "
        f"{args.workers} Podium worker processes, {args.rounds} round(s)"
    )
    print(
        "variant             runs/s  p50 s  p95 s   server CPU / RSS   workers (or process) "
        "CPU / RSS  failed"
    )
    for _ in range(args.rounds):
        for variant in args.variants:
            if variant in ("fast", "regular"):
                result = await podium_round(args, variant, folder)
            else:
                result = langgraph_peak(args.runs, args.call_ms, variant)
            results[variant].append(result)
            print(row(NAMES[variant], result, args.runs), flush=True)
            if result.get("first_failure"):
                print(f"    first failure: {result['first_failure']}")
    if args.rounds > 1:
        for variant, rounds in results.items():
            print(f"{NAMES[variant]:18s} runs/s {spread([r['runs_per_s'] for r in rounds])}")
    if "sqlite" in results:
        for variant in ("fast", "regular"):
            if variant not in results:
                continue
            pairs = zip(results[variant], results["sqlite"], strict=True)
            ratios = [a["runs_per_s"] / b["runs_per_s"] for a, b in pairs]
            target = "; target >= 0.3" if variant == "fast" else ""
            print(
                f"ratio runs/s {NAMES[variant]} / langgraph+sqlite (per round): "
                f"{spread(ratios, 3)}{target}"
            )
    finish_process()


if __name__ == "__main__":
    asyncio.run(main())
