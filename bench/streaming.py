"""Live runs under load: how soon a subscriber sees the model's first token, and whether
every reader ends with exactly the final answer — through a fan-out, a crowd of runs, a
broken stream and a killed worker (issue #24).

    .venv/bin/python bench/streaming.py [--runs 50] [--clients 100] [--load 200]
                                        [--fault-runs 20] [--kill-runs 4] [--kills 3]
                                        [--tokens-per-s 50] [--before DIR] [--only ...]

One dev server (Podium's flags) and one ``podium worker`` process: a process of its own,
as deployed, so the worker's CPU does not delay the subscribers' event loop here, and so
it can be killed. The journaling stream server (``tests/support/stream_server.py``) runs
in processes of its own, one per behaviour, writing ``--tokens-per-s``; it notes when it
sent each request's first token, a subscriber here when it read the call's first
``text.delta`` — both ``time.time()``, one machine, one clock.

- ``latency``: ``--runs`` followed runs one after the other, each read by ``podium.subscribe``.
- ``serve``: a run started with ``POST /runs`` on ``podium serve`` (its own process, on
  loopback) and read by ``--clients`` SSE clients; then the poll Updates in its history,
  against a run read by one client.
- ``load``: ``--load`` followed runs at once, each read by its own ``podium.subscribe``.
- ``faults``: ``--fault-runs`` runs whose first request is cut after 8 tokens, and as many
  whose first request is answered 500.
- ``kills``: ``--kill-runs`` runs; ``--kills`` times, once every run's current take is
  mid-stream, the worker is killed (-9) and another started.
- ``throughput`` (with ``--before DIR``): bench/throughput.py's podium flow, no subscriber,
  this tree against a checkout from before live runs (``tree_throughput.py``).

Every reader's events are judged (``stream_readers.judge``): per call, what a
``TextAssembly`` reader ends with equals the step's output; duplicated and lost deltas
(0 and 0 expected); offsets without gaps.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.compiler.spec_compiler import compile_spec  # noqa: E402
from podium.starters.devserver import free_port, port_open, stop_process  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402
from podium.workflows.plan import Plan  # noqa: E402
from podium.workflows.state import RunResult  # noqa: E402
from temporalio.client import Client  # noqa: E402

from bench.harness import finish_process, start_server  # noqa: E402
from bench.stream_readers import Reader, Tally, judge, line, polls, read_sse, run_events  # noqa: E402
from bench.throughput import cpu_s, server_pid  # noqa: E402
from bench.tree_throughput import throughput  # noqa: E402
from tests.support.stream_server import TEXT  # noqa: E402
from tests.support.worker_process import ROOT, start_worker  # noqa: E402

KILL_WORDS = 400
"""The killed runs' answer: ~630 tokens, ~13 s at 50 tokens/s. After a kill a subscriber
may see the retried take only seconds after it began, and must still see it mid-stream."""
SCENARIOS = ("latency", "serve", "load", "faults", "kills", "throughput")


class StreamProcess:
    """``python -m tests.support.stream_server`` in its own process; its journal."""

    def __init__(self, tokens_per_s: float, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.stream_server", "--tokens-per-s"]
            + [str(tokens_per_s), *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().decode()  # stream server ready: <url>
        self.url = ready.rsplit(" ", 1)[1].strip()

    def journal(self) -> list[dict[str, Any]]:
        """The requests the server has answered (``StreamEntry``'s fields each)."""
        return httpx.get(f"{self.url}/_journal", timeout=30).json()["journal"]

    def first_tokens(self) -> dict[str, float]:
        """Call key → when the server sent its first token (the earliest request's)."""
        first: dict[str, float] = {}
        for entry in self.journal():
            if entry["first_token"] is not None:
                first[entry["key"]] = min(first.get(entry["key"], math.inf), entry["first_token"])
        return first


class Workers:
    """The ``podium worker`` process serving the bench (killed and replaced on demand)."""

    def __init__(self, address: str, log: Path, catalog: Path) -> None:
        self.args = (address, log, "default", "--catalog", str(catalog))
        log.touch()
        self.process = start_worker(*self.args)

    async def replace(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = await asyncio.to_thread(start_worker, *self.args)

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class Bench:
    """What the scenarios share: the client, the plans, the stream servers, the worker."""

    client: Client
    plans: dict[str, Plan]
    servers: dict[str, StreamProcess]
    workers: Workers
    specs: Path


async def follow(client: Client, plan: Plan, message: str) -> tuple[RunResult, Reader]:
    handle = await start_run(client, plan, {"message": message}, follow=True)
    reader = Reader(client, handle.id)
    result = await handle.result()
    await asyncio.wait_for(reader.task, 60)
    return result, reader


async def followed_runs(bench: Bench, name: str, runs: int, at_once: bool) -> tuple[Tally, float]:
    """``runs`` followed runs of spec ``name`` (all at once, or one after the other),
    judged; and the runs per second."""
    plan = bench.plans[name]
    start = time.perf_counter()
    if at_once:
        done = await asyncio.gather(
            *(follow(bench.client, plan, f"{name} {i}") for i in range(runs))
        )
    else:
        done = [await follow(bench.client, plan, f"{name} {i}") for i in range(runs)]
    rate = runs / (time.perf_counter() - start)
    first_token = bench.servers[name].first_tokens()
    tally = Tally()
    for result, reader in done:
        judge(
            tally,
            reader.events,
            result,
            ("reply",),
            run_id=reader.run_id,
            seen=reader.seen,
            first_token=first_token,
        )
    return tally, rate


async def latency(bench: Bench, args: argparse.Namespace) -> str:
    tally, _ = await followed_runs(bench, "steady", args.runs, at_once=False)
    return line("followed runs, one at a time", tally, "  (targets 150 / 300)")


async def load(bench: Bench, args: argparse.Namespace) -> str:
    """``--load`` runs at once; and the cores each process used meanwhile (CPU seconds per
    second: the dev server, the worker, this process with the subscribers and the client)."""
    port = bench.client.service_client.config.target_host.rsplit(":", 1)[1]
    pids = {"server": server_pid(port), "worker": bench.workers.process.pid, "bench": "self"}
    before, start = {name: cpu_s(pid) for name, pid in pids.items() if pid}, time.perf_counter()
    tally, per_s = await followed_runs(bench, "steady", args.load, at_once=True)
    took = time.perf_counter() - start
    cores = ", ".join(
        f"{name} {(cpu_s(pids[name]) - was) / took:.2f}" for name, was in before.items()
    )
    return line(
        f"{args.load} followed runs at once", tally, f"  {per_s:.1f} runs/s (cores used: {cores})"
    )


async def faults(bench: Bench, args: argparse.Namespace) -> str:
    lines = []
    for name, what in (("cut", "cut after 8 tokens"), ("fail500", "500 before tokens")):
        tally, _ = await followed_runs(bench, name, args.fault_runs, at_once=True)
        extra = f"  ({tally.retracted} takes retracted, {tally.superseded} superseded)"
        lines.append(line(f"first request {what}", tally, extra))
    return "\n".join(lines)


async def serve_run(bench: Bench, base: str, clients: int) -> tuple[Tally, int, int, int]:
    """A run of ``chat`` started by ``POST /runs`` and read by ``clients`` SSE clients:
    their tally, how many read the first one's events exactly, how many were connected
    before the reply's first token, and the run's poll Updates."""
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as http:
        started = await http.post("/runs", json={"spec": "chat", "input": {"message": "late"}})
        run_id = started.raise_for_status().json()["run_id"]
        connected: list[float] = []
        reads = await asyncio.gather(*(read_sse(http, run_id, connected) for _ in range(clients)))
    client = bench.client
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    first_token = bench.servers["steady"].first_tokens()
    tally = Tally()
    identical = sum(1 for r in reads if [e[:3] for e in r] == [e[:3] for e in reads[0]])
    for read in reads:
        events, seen = run_events(read), [e[3] for e in read]
        steps = ("triage", "reply")
        judge(tally, events, result, steps, run_id=run_id, seen=seen, first_token=first_token)
    reply = next(e.call for e in run_events(reads[0]) if e.step == "reply" and e.call)
    early = sum(1 for when in connected if when < first_token[f"{run_id}/{reply}"])
    return tally, identical, early, await polls(client, run_id)


async def serve(bench: Bench, args: argparse.Namespace) -> str:
    """``podium serve`` in its own process (as deployed), on loopback."""
    port = free_port()
    address = bench.client.service_client.config.target_host
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "podium"), "serve", "--insecure-no-auth"]
        + ["--port", str(port), "--specs", str(bench.specs), "--address", address],
        cwd=bench.specs,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        await until(lambda: port_open(port), 30)
        base = f"http://127.0.0.1:{port}"
        _, _, _, alone = await serve_run(bench, base, 1)
        tally, same, early, many = await serve_run(bench, base, args.clients)
    finally:
        stop_process(process)
    n = args.clients
    row = line(f"podium serve: 1 run, {n} SSE clients", tally, unit="reads")
    return (
        f"{row}\n{'':<34} identical events {same}/{n}, connected before the first token "
        f"{early}/{n}; poll Updates in the run's history {many} (one client alone: {alone})"
    )


async def until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def kills(bench: Bench, args: argparse.Namespace) -> str:
    """``--kill-runs`` followed runs; ``--kills`` times, once each running run's current
    take is new since the last kill and mid-stream (two deltas in, its text short of the
    answer), kill -9 the worker and start another."""
    pool = TEXT.split()  # the stream server's --words answer
    answer = " ".join(pool[i % len(pool)] for i in range(KILL_WORDS))
    client, plan = bench.client, bench.plans["kill"]
    handles = [
        await start_run(client, plan, {"message": f"kill {i}"}, follow=True)
        for i in range(args.kill_runs)
    ]
    readers = [Reader(client, h.id) for h in handles]
    killed_takes: set[str] = set()

    def current(reader: Reader) -> tuple[str | None, str]:
        """The run's latest take once two of its deltas are in, and its text so far."""
        takes = [e.take for e in reader.events if e.kind == "text.start"]
        if not takes:
            return None, ""
        latest = [e for e in reader.events if e.kind == "text.delta" and e.take == takes[-1]]
        if len(latest) < 2:
            return None, ""
        return takes[-1], "".join(e.text or "" for e in latest)

    def all_mid_stream() -> bool:
        live = [r for r in readers if not r.task.done()]
        return bool(live) and all(
            take is not None and take not in killed_takes and len(text) < len(answer)
            for take, text in map(current, live)
        )

    done = 0
    for _ in range(args.kills):
        if not await until(all_mid_stream, 120):
            break
        killed_takes |= {take for take, _ in map(current, readers) if take}
        await bench.workers.replace()
        done += 1
    results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 300)
    await asyncio.wait_for(asyncio.gather(*(r.task for r in readers)), 60)
    tally = Tally()
    for result, reader in zip(results, readers, strict=True):
        judge(tally, reader.events, result, ("reply",))
    broken = sum(1 for entry in bench.servers["kill"].journal() if not entry["delivered"])
    extra = (
        f"  ({done} kills, {broken} answers broken off mid-stream; {tally.superseded} takes "
        f"superseded, {tally.stale_chars} characters of theirs a take-blind reader would "
        "show twice)"
    )
    return line("kill -9 of the worker mid-stream", tally, extra)


def write_specs(folder: Path, urls: dict[str, str]) -> dict[str, Path]:
    """A catalog with one writer per stream server, and a one-step spec per writer (plus
    ``chat``: a scripted triage of 1.5 s, then the steady writer — time for a hundred
    clients to connect before the reply is written)."""
    providers = {name: {"base_url": url, "circuit": False} for name, url in urls.items()}
    agents: dict[str, Any] = {name: {"model": f"{name}:writer"} for name in urls}
    agents["kill"] |= {"heartbeat": "2s", "timeout": "60s", "retry": {"max_attempts": 1}}
    agents["triage"] = {
        "model": "scripted",
        "latency": "1500ms",
        "script": [{"output": "The customer asks where the parcel is: shipping."}],
    }
    catalog = folder / "agents.yaml"
    catalog.write_text(yaml.safe_dump({"providers": providers, "agents": agents}))
    reply = {"id": "reply", "with": {"message": "input.message"}}
    specs = {name: [{**reply, "agent": name}] for name in urls}
    specs["chat"] = [{"id": "triage", "agent": "triage"}, {**reply, "agent": "steady"}]
    paths = {}
    for name, steps in specs.items():
        paths[name] = folder / f"{name}.yaml"
        spec = {"name": name, "agents": "agents.yaml", "steps": steps}
        paths[name].write_text(yaml.safe_dump(spec, sort_keys=False))
    return paths


async def streaming(args: argparse.Namespace, only: list[str], folder: Path) -> None:
    """The scenarios in ``only`` but throughput, on one dev server and worker process."""
    env = await start_server()
    address = env.client.service_client.config.target_host
    rate = args.tokens_per_s
    servers = {
        "steady": StreamProcess(rate),
        "cut": StreamProcess(rate, "--fail", "cut", "--fail-after", "8"),
        "fail500": StreamProcess(rate, "--fail", "500"),
        "kill": StreamProcess(rate, "--words", str(KILL_WORDS)),
    }
    workers = None
    try:
        specs = write_specs(folder, {name: s.url for name, s in servers.items()})
        plans = {name: compile_spec(path) for name, path in specs.items()}
        workers = Workers(address, folder / "worker.log", folder / "agents.yaml")
        bench = Bench(env.client, plans, servers, workers, folder)
        print(
            f"one dev server, 1 podium worker process, stream servers at {rate:g} tokens/s "
            f"(answers of {len(TEXT)} characters, ~{len(TEXT) // 4} tokens), "
            f"cores={os.cpu_count()}",
            flush=True,
        )
        scenarios = {"latency": latency, "serve": serve, "load": load, "faults": faults}
        for name, scenario in (*scenarios.items(), ("kills", kills)):  # kills go last
            if name in only:
                print(await scenario(bench, args), flush=True)
    finally:
        if workers is not None:
            workers.stop()
        for server in servers.values():
            stop_process(server.process)
        await env.shutdown()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--load", type=int, default=200)
    parser.add_argument("--fault-runs", type=int, default=20)
    parser.add_argument("--kill-runs", type=int, default=4)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--tokens-per-s", type=float, default=50.0)
    parser.add_argument("--before", type=Path, help="a checkout to compare throughput with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--throughput-runs", type=int, default=300)
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    args = parser.parse_args()
    if set(args.only) - {"throughput"}:
        with tempfile.TemporaryDirectory() as tmp:
            await streaming(args, args.only, Path(tmp))
    if "throughput" in args.only and args.before is not None:
        print(throughput(args.before, args.rounds, args.throughput_runs), flush=True)
    finish_process()


if __name__ == "__main__":
    asyncio.run(main())
