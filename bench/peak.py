"""The peak: N ``support_triage`` runs at once, Podium against its peers and LangGraph.

    .venv-bench/bin/python bench/peak.py [--runs 2000] [--call-ms 200] [--workers 2]
        [--rounds 1] [--peers-unsandboxed]
        [--variants fast regular openai_agents pydantic_ai sqlite memory]

Podium runs ``specs/support_triage.yaml`` with its catalog (agents/support.yaml) compiled
offline — the scripted model, ``--call-ms`` per call — on one dev server (``podium dev``'s
flags) with ``--workers`` separate worker processes: ``fast`` declares every agent
``fast: true`` (local activities), ``regular`` does not (one activity task per call).
Its peers on Temporal run the same flow the same way — a fresh dev server, ``--workers``
worker processes (``bench/peers/worker.py``), test models taking ``--call-ms`` per call:
``openai_agents`` on the OpenAI Agents SDK's integration (``bench/peers/openai_agents_flow.py``),
``pydantic_ai`` on Pydantic AI's (``bench/peers/pydantic_ai_flow.py``). The LangGraph
baseline is the same flow as a graph in one process (``bench/peak_langgraph.py``), with its
SQLite checkpointer (``sqlite``) or in memory (``memory``). Six model calls per run on
every side. Bench-only dependencies, in a venv of their own (bench/README.md says why):
``python3 -m venv .venv-bench && .venv-bench/bin/pip install -e '.[bench]'``.

For each variant: runs/s, p50/p95 run latency (asking to start → the end), CPU per run of
the server and of the workers (or of the LangGraph process), their peak RSS, failures;
then the ratio of each Podium variant's runs/s to each baseline's, per round. Variants run
one after the other, ``--rounds`` times alternating; with several rounds, medians
(min–max).
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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from harness import finish_process, spread, start_server
from peers.launch import launch
from peers.support_script import MESSAGES
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.plan import Plan
from scaleout import start_workers, stop
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from throughput import cpu_s, server_pid

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent

NAMES = {
    "fast": "podium fast",
    "regular": "podium regular",
    "openai_agents": "openai-agents",
    "pydantic_ai": "pydantic-ai",
    "sqlite": "langgraph+sqlite",
    "memory": "langgraph memory",
}
PODIUM = ("fast", "regular")
PEERS = ("openai_agents", "pydantic_ai")
TARGETS = {"sqlite": 0.5, "openai_agents": 1.0, "pydantic_ai": 1.0}
"""Issue #23: podium fast's runs/s at least this times each baseline's."""

StartOne = Callable[[str, dict[str, str]], Awaitable[Any]]
"""Start one run: (workflow id, ticket)."""


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


async def temporal_peak(
    client: Client,
    start_one: StartOne,
    runs: int,
    workers: list[subprocess.Popen[bytes]],
    server: int,
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
            await start_one(run_id, ticket)

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


async def calls_of(client: Client, run_id: str) -> str:
    """What one run scheduled: activities, local activities, history events."""
    events = (await client.get_workflow_handle(run_id).fetch_history()).events
    kinds = [e.event_type for e in events]
    activities = kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    local = sum(
        1
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )
    return f"{activities} activities + {local} local activities, {len(events)} history events"


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

    server_ms = None if r.get("server_cpu_s") is None else 1000 * r["server_cpu_s"] / runs
    server = f"{num(server_ms, '6.1f')} ms / {num(r.get('server_rss_mb'), '4.0f')} MB"
    return (
        f"{name:18s} {r['runs_per_s']:7.1f} {num(r['p50_s'], '6.2f')} {num(r['p95_s'], '6.2f')}"
        f"  {server:>17s}  {1000 * r['cpu_s'] / runs:6.1f} ms / {r['rss_mb']:5.0f} MB"
        f"  {r['failures']}/{runs}"
    )


async def temporal_round(
    args: argparse.Namespace, variant: str, folder: Path
) -> tuple[dict[str, Any], str]:
    """One Podium or peer variant's peak on a fresh dev server (an in-memory store
    holding earlier rounds' runs would slow later ones); its result and what its warm-up
    run scheduled."""
    env = await start_server()
    address = env.client.service_client.config.target_host
    server = server_pid(address.rsplit(":", 1)[1])
    assert server, "the dev server's process was not found"
    log = folder / "workers.log"
    log.touch()
    try:
        client, start_one, workers = await _setup(args, variant, folder, env.client, log)
        try:
            warm_id = f"warm-{uuid.uuid4().hex[:6]}"
            await start_one(warm_id, {"name": "warm", "message": MESSAGES[0]})
            await client.get_workflow_handle(warm_id).result()
            calls = await calls_of(client, warm_id)
            return await temporal_peak(client, start_one, args.runs, workers, server), calls
        finally:
            stop(workers)
    finally:
        await env.shutdown()


async def _setup(
    args: argparse.Namespace, variant: str, folder: Path, client: Client, log: Path
) -> tuple[Client, StartOne, list[subprocess.Popen[bytes]]]:
    """The client, the way to start a run and the worker processes of a variant."""
    address = client.service_client.config.target_host
    if variant in PODIUM:
        plan = peak_plan(folder, args.call_ms, fast=variant == "fast")

        async def start_podium(run_id: str, ticket: dict[str, str]) -> None:
            await start_run(client, plan, ticket, workflow_id=run_id)

        # --catalog: the workers check the bench's own catalog, not the repository's
        # agents/ (whose function tools import `agents`, which .venv-bench's OpenAI Agents
        # SDK shadows: ~60 MB more per worker, the RSS gap bench/README.md explains)
        command = ("-m", "podium.workers", "--catalog", str(folder))
        return client, start_podium, start_workers(address, args.workers, log, command=command)
    return await launch(variant, address, args.workers, log, args.call_ms, args.peers_unsandboxed)


def summary(results: dict[str, list[dict[str, Any]]], runs: int) -> None:
    """Per variant, medians (min–max) over the rounds; then each Podium variant's ratio
    of runs/s to each baseline's, round by round."""
    for variant, rounds in results.items():
        line = f"{NAMES[variant]:18s} runs/s {spread([r['runs_per_s'] for r in rounds])}"
        if rounds[0].get("server_cpu_s") is not None:
            server = [1000 * r["server_cpu_s"] / runs for r in rounds]
            line += f"; server CPU ms/run {spread(server, 1)}"
        workers = [1000 * r["cpu_s"] / runs for r in rounds]
        line += f"; workers (or process) CPU ms/run {spread(workers, 1)}"
        print(line)
    for variant in (v for v in PODIUM if v in results):
        for base in (b for b in ("sqlite", *PEERS) if b in results):
            pairs = zip(results[variant], results[base], strict=True)
            ratios = [a["runs_per_s"] / b["runs_per_s"] for a, b in pairs]
            target = f"; target >= {TARGETS[base]}" if variant == "fast" else ""
            print(
                f"ratio runs/s {NAMES[variant]} / {NAMES[base]} (per round): "
                f"{spread(ratios, 3)}{target}"
            )


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
        default=["fast", "openai_agents", "pydantic_ai", "sqlite"],
        choices=list(NAMES),
    )
    parser.add_argument(
        "--peers-unsandboxed",
        action="store_true",
        help="run the peers' workflows outside temporalio's sandbox, as Podium runs its own",
    )
    args = parser.parse_args()
    args.variants = list(dict.fromkeys(args.variants))  # each once, in the order given
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in args.variants}
    folder = Path(tempfile.mkdtemp())
    print(
        f"{args.runs} support_triage runs at once, 6 calls of {args.call_ms} ms each, "
        f"{args.workers} worker processes, {args.rounds} round(s)"
    )
    print(
        "variant             runs/s  p50 s  p95 s  server CPU/run, RSS  workers (or process) "
        "CPU/run, RSS  failed"
    )
    for number in range(args.rounds):
        for variant in args.variants:
            calls = None
            if variant in ("sqlite", "memory"):
                result = langgraph_peak(args.runs, args.call_ms, variant)
            else:
                result, calls = await temporal_round(args, variant, folder)
            results[variant].append(result)
            print(row(NAMES[variant], result, args.runs), flush=True)
            if calls and number == 0:
                print(f"    one run: {calls}")
            if result.get("first_failure"):
                print(f"    first failure: {result['first_failure']}")
    summary(results, args.runs)
    finish_process()


if __name__ == "__main__":
    asyncio.run(main())
