"""What happens to agent calls in flight when the Temporal server goes away for a moment?

    .venv/bin/python bench/outage.py [--runs 84] [--outage 5] [--mode restart|pause]
                                     [--latency 2] [--heartbeat 5s] [--workers 1]

``--runs`` deal_review-shaped runs (five agent calls each: 84 runs = 420 calls) on
``--workers`` worker processes against a journaling OpenAI-compatible server on loopback
that answers each call after ``--latency`` seconds. Once the first calls are in flight
the server goes away for ``--outage`` seconds — ``restart``: killed (-9) and started
again on its database, as a crash or a redeploy does; ``pause``: SIGSTOP then SIGCONT, a
server that hangs — and every run is then awaited. Prints one line:

    outage (restart, 5 s, heartbeat 5s, 1 worker process): 84/84 runs completed;
    420 calls, 0 answered twice

A call answered twice was re-sent after the provider had answered it: its worker could
not report the answer while the server was away, and the server ran the attempt again
once its heartbeat timeout had passed. The journal, not the workers, judges.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.activities.payloads.converter import data_converter  # noqa: E402
from podium.compiler.spec_compiler import compile_spec  # noqa: E402
from podium.starters.devserver import DevServer, free_port, port_open, stop_process  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402

from bench.faults import catalog, gather_runs, write_spec  # noqa: E402
from bench.harness import finish_process  # noqa: E402
from tests.support.fault_server import fault_server  # noqa: E402
from tests.support.worker_process import start_worker  # noqa: E402


async def outage(args: argparse.Namespace, folder: Path) -> str:
    server = DevServer(port=free_port(), ui_port=None, db=folder / "temporal.db")
    server.start()
    workers = []
    with fault_server(latency_s=args.latency) as llm:
        try:
            cat = catalog(llm.url, "outage", heartbeat=args.heartbeat)
            plan = compile_spec(write_spec(folder, cat))
            (folder / "providers.yaml").write_text(yaml.safe_dump(cat))
            log = folder / "worker.log"
            log.touch()
            workers = [
                start_worker(
                    server.address, log, "default", "--catalog", str(folder / "providers.yaml")
                )
                for _ in range(args.workers)
            ]
            client = await Client.connect(server.address, data_converter=data_converter())
            handles = [
                await start_run(client, plan, {"terms": f"deal {i}"}) for i in range(args.runs)
            ]
            while len(llm.entries()) < args.runs:  # (every run's first calls are in flight)
                await asyncio.sleep(0.05)
            await away(server, args.mode, args.outage)
            results = await gather_runs(handles, 900)
        finally:
            for worker in workers:
                stop_process(worker)
            server.stop()
    calls = Counter(e.key for e in llm.entries() if e.outcome == "ok")
    twice = sum(1 for n in calls.values() if n > 1)
    done = sum(1 for r in results if not isinstance(r, BaseException))
    return (
        f"outage ({args.mode}, {args.outage:g} s, heartbeat {args.heartbeat}, "
        f"{args.workers} worker process{'es' if args.workers > 1 else ''}): "
        f"{done}/{args.runs} runs completed; {len(calls)} calls, {twice} answered twice"
    )


async def away(server: DevServer, mode: str, seconds: float) -> None:
    """Take the server away for ``seconds``: killed and restarted, or paused."""
    assert server.process is not None
    if mode == "pause":
        os.killpg(server.process.pid, signal.SIGSTOP)
        await asyncio.sleep(seconds)
        os.killpg(server.process.pid, signal.SIGCONT)
        return
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    gone = time.monotonic()
    while port_open(server.port):
        await asyncio.sleep(0.05)
    await asyncio.sleep(max(0.0, seconds - (time.monotonic() - gone)))
    await asyncio.to_thread(server.start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=84)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--mode", choices=["restart", "pause"], default="restart")
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--heartbeat", default="5s")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(await outage(args, Path(tmp)), flush=True)
    finish_process()


if __name__ == "__main__":
    asyncio.run(main())
