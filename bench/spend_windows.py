"""Does a spend window's cap hold under load, a worker kill and a server restart?

    .venv/bin/python bench/spend_windows.py [--calls 1000] [--cap 1.0] [--latency 2]
                                            [--workers 2] [--no-kill] [--no-restart]

``--calls`` runs of a one-call spec, all under one window (``policy: spend: {per: spec,
usd_per_day: --cap, on_exhausted: fail}``), on ``--workers`` worker processes and a dev
server with its database on disk, against a journaling OpenAI-compatible server on
loopback that bills every answer the same (20 prompt + 10 output tokens: $0.002 at the
agent's price) after ``--latency`` seconds. The provider holds its answers until every
run has started, so all the calls contend for the window at once. Once a third of what
the cap pays for has been answered, one worker is killed with SIGKILL (a new one takes
its place); after two thirds, the Temporal server is killed and restarted on its
database. Every run is then awaited, and the ledger's calls in flight settled.

The provider's journal judges: every answer it sent (delivered or not) is billed. The
bench prints what the provider billed and what the ledger counted against the cap, the
largest single reservation, and whether both stay within cap + one reservation.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import yaml
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.activities.contracts import Usage  # noqa: E402
from podium.activities.payloads.converter import data_converter  # noqa: E402
from podium.activities.spend_contracts import LedgerState, ledger_id  # noqa: E402
from podium.compiler.spec_compiler import compile_spec  # noqa: E402
from podium.starters.devserver import DevServer, free_port, stop_process  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402
from podium.workflows.kinds.agent import AgentNode  # noqa: E402
from podium.workflows.steps.budget import estimate  # noqa: E402

from bench.harness import finish_process  # noqa: E402
from bench.outage import away  # noqa: E402
from tests.support.fault_server import FaultServer, fault_server  # noqa: E402
from tests.support.worker_process import start_worker  # noqa: E402

PRICE = {"input_per_mtok": 40.0, "output_per_mtok": 120.0}
BILLED = Usage(input_tokens=20, output_tokens=10)
"""What the journaling server reports (and so bills) for every answer."""
INSTRUCTIONS = (
    "You are the market's reply writer. Read the customer's message and the deal terms, "
    "then answer in one short JSON object with a summary of what to tell the customer, "
    "in plain words, without promising anything the terms do not say."
)


def files(folder: Path, url: str, cap: float) -> Path:
    """The catalog (also the workers' --catalog) and the spec; the spec's path."""
    catalog = {
        "policy": {
            "spend": {
                "name": f"bench-{uuid.uuid4().hex[:6]}",
                "per": "spec",
                "usd_per_day": cap,
                "on_exhausted": "fail",
            }
        },
        "providers": {"spendy": {"base_url": url, "circuit": False}},
        "agents": {
            "writer": {
                "model": "spendy:m",
                "instructions": INSTRUCTIONS,
                "max_output_tokens": 10,
                "price": PRICE,
                "heartbeat": "5s",  # a dead worker's call goes to the other one after 5 s
                "timeout": "30s",
            }
        },
    }
    (folder / "agents.yaml").write_text(yaml.safe_dump(catalog))
    spec = {
        "name": "spend_bench",
        "agents": "agents.yaml",
        "steps": [{"id": "reply", "agent": "writer", "with": {"terms": "input.terms"}}],
    }
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder / "spec.yaml"


def answered(llm: FaultServer) -> int:
    return sum(1 for e in llm.entries() if e.outcome == "ok")


async def when_answered(llm: FaultServer, count: int, runs: list[asyncio.Future]) -> None:
    """Once the provider has answered ``count`` calls, or every run has ended."""
    while answered(llm) < count and not all(run.done() for run in runs):
        await asyncio.sleep(0.05)


async def bench(args: argparse.Namespace, folder: Path) -> list[str]:
    server = DevServer(port=free_port(), ui_port=None, db=folder / "temporal.db")
    server.start()
    workers: list = []
    with fault_server(latency_s=args.latency) as llm:
        llm.grant(0)  # hold the answers until every run has started
        try:
            plan = compile_spec(files(folder, llm.url, args.cap))
            node = plan.steps[0]
            assert isinstance(node, AgentNode)
            agent = node.agent
            most = max(
                agent.price.cost(estimate(agent, {"terms": f"deal {i}"}, None))
                for i in (0, args.calls - 1)
            )
            cost = agent.price.cost(BILLED)
            window = plan.spend[0]
            log = folder / "workers.log"
            log.touch()
            extra = ("--catalog", str(folder / "agents.yaml"))
            workers = [
                start_worker(server.address, log, "default", *extra) for _ in range(args.workers)
            ]
            client = await Client.connect(server.address, data_converter=data_converter())
            gate = asyncio.Semaphore(50)

            async def start(i: int):
                async with gate:
                    return await start_run(client, plan, {"terms": f"deal {i}"})

            began = time.monotonic()
            handles = await asyncio.gather(*(start(i) for i in range(args.calls)))
            fit = min(args.calls, int(args.cap / most))
            deadline = time.monotonic() + 60
            while llm.held_since(0) < fit * 0.95 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            at_once = llm.held_since(0)
            llm.grant(None)
            afford = int(args.cap / cost)
            events = []
            runs = [asyncio.ensure_future(h.result()) for h in handles]
            if not args.no_kill:
                await when_answered(llm, afford // 3, runs)
                victim = workers[0]
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait()
                events.append(f"a worker killed (-9) after {answered(llm)} answers")
                workers[0] = start_worker(server.address, log, "default", *extra)
            if not args.no_restart:
                await when_answered(llm, 2 * afford // 3, runs)
                events.append(f"the server killed and restarted after {answered(llm)} answers")
                await away(server, "restart", 3.0)
                client = await Client.connect(server.address, data_converter=data_converter())
                for run in runs:
                    run.cancel()  # (their client lost its server: ask again through a new one)
                await asyncio.gather(*runs, return_exceptions=True)
                runs = [
                    asyncio.ensure_future(client.get_workflow_handle(h.id).result())
                    for h in handles
                ]
            outcomes = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 900)
            took = time.monotonic() - began
            ledger = await settled(client, ledger_id(window.name, plan.name))  # (per: spec)
        finally:
            for worker in workers:
                stop_process(worker)
            server.stop()
        journal = llm.entries()
    (folder / "journal.json").write_text(json.dumps([dataclasses.asdict(e) for e in journal]))
    (folder / "ledger.json").write_text(ledger.model_dump_json(indent=1))
    kinds = Counter(
        "completed"
        if not isinstance(o, BaseException)
        else getattr(getattr(o, "cause", None), "type", None) or type(o).__name__
        for o in outcomes
    )
    oks = [e for e in journal if e.outcome == "ok"]
    keys = Counter(e.key for e in oks)
    billed = len(oks) * cost
    day = ledger.periods[max(p for p in ledger.periods if p.startswith("day:"))]
    limit = args.cap + most
    return [
        f"spend window: {args.calls} calls in {args.calls} runs against a ${args.cap:g} daily "
        f"cap (on_exhausted: fail), {args.workers} worker processes, provider latency "
        f"{args.latency:g} s" + (f"; {'; '.join(events)}" if events else ""),
        f"  each call reserves ${most:.6f} at most (its worst case) and costs ${cost:.6f}",
        f"  {at_once} calls in flight at once at the start (held by the provider), the "
        f"others waiting on the window; {took:.1f} s in all",
        "  runs: " + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()),
        f"  provider: {len(oks)} answers billed (${billed:.6f}), {len(keys)} distinct calls, "
        f"{sum(1 for n in keys.values() if n > 1)} answered more than once, "
        f"{sum(1 for e in oks if not e.delivered)} never delivered (their worker was gone)",
        f"  ledger: ${day.spent_usd:.6f} counted against the cap over {day.calls} settled "
        f"calls ({day.lost} charged in full: worker lost or cut off), ${day.reserved_usd:g} "
        f"still reserved, {day.refusals} refusals",
        f"  billed − cap = ${billed - args.cap:+.6f}, ledger − cap = "
        f"${day.spent_usd - args.cap:+.6f}; cap + one reservation = ${limit:.6f}: "
        + ("both within" if max(billed, day.spent_usd) <= limit + 1e-9 else "EXCEEDED"),
    ]


async def settled(client: Client, workflow_id: str, timeout_s: float = 300) -> LedgerState:
    """The ledger once no call holds a reservation (a lost worker's expire)."""
    handle = client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + timeout_s
    while True:
        state = await handle.query("figures", result_type=LedgerState)
        if not state.holds or time.monotonic() > deadline:
            return state
        await asyncio.sleep(1.0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cap", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument(
        "--folder",
        help="keep the server's database, the workers' log, the provider's journal "
        "and the ledger's figures here",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for line in await bench(args, folder):
            print(line, flush=True)
    finish_process()


if __name__ == "__main__":
    asyncio.run(main())
