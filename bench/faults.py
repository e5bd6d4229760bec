"""Do runs survive a flaky provider and dying workers with Podium's default settings?

    .venv/bin/python bench/faults.py [--runs 50] [--fault-rate 0.3] [--kill-runs 20]
                                     [--kills 10] [--kill-span 45]

Prints one line per scenario:

    fault-rate: 50/50 runs succeeded (100%) at 30% faults
    worker-kills: 20/20 completed, 0 completed calls repeated

``fault-rate``: ``--runs`` deal_review-shaped runs (three analysts in parallel → a risk
aggregator → a writer: five agent calls) against a journaling OpenAI-compatible server
on loopback that fails ``--fault-rate`` of all requests with an even mix of HTTP 500,
429 with Retry-After, a reset connection, a 2xx body that is not JSON and an answer that
fails the agent's schema. Every agent uses the catalog's defaults (attempts, backoff,
repair rounds, circuit breaker). Target: ≥ 99 %.

``worker-kills``: ``--kill-runs`` runs of the same shape over two worker processes;
``--kills`` kill -9 of a random worker spread over ``--kill-span`` seconds, each
replaced at once. The provider's journal judges whether a completed call was made again
(a repeat is explained only by a kill landing while the first answer was in flight).
Target: all completed, 0 repeated.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.activities.contracts import BUILTIN_PROVIDERS  # noqa: E402
from podium.compiler.spec_compiler import compile_spec  # noqa: E402
from podium.starters.devserver import stop_process  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402
from podium.workers.worker import WorkerOptions, build_workers, providers_from_catalogs  # noqa: E402

from bench.harness import finish, start_server  # noqa: E402
from tests.support.fault_server import fault_server, unexplained_repeats  # noqa: E402
from tests.support.worker_process import start_worker  # noqa: E402

SCHEMA = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}


def catalog(url: str, provider: str, **agent: object) -> dict:
    """Five agents on one provider, every setting at its default."""
    entry = {"model": f"{provider}:m", "output": SCHEMA, **agent}
    names = ["financial", "legal", "technical", "risk", "writer"]
    return {"providers": {provider: {"base_url": url}}, "agents": dict.fromkeys(names, entry)}


SPEC = {
    "name": "deal_faults",
    "agents": "agents.yaml",
    "steps": [
        {
            "id": "reviews",
            "parallel": [
                {"id": name, "agent": name, "with": {"terms": "input.terms"}}
                for name in ("financial", "legal", "technical")
            ],
        },
        {
            "id": "risk",
            "agent": "risk",
            "with": {"f": "steps.financial.output", "l": "steps.legal.output"},
        },
        {"id": "brief", "agent": "writer", "with": {"risk": "steps.risk.output"}},
    ],
}


def write_spec(folder: Path, cat: dict) -> Path:
    (folder / "agents.yaml").write_text(yaml.safe_dump(cat))
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return path


async def gather_runs(handles: list, timeout_s: float) -> list:
    return await asyncio.wait_for(
        asyncio.gather(*(h.result() for h in handles), return_exceptions=True), timeout_s
    )


BEFORE = {"retry": {"max_attempts": 3, "max_elapsed": None}, "repair_attempts": 1}
BEFORE_TEXT = "the defaults before: 3 attempts, 1 repair round"


async def fault_rate(env, folder: Path, runs: int, rate: float, agent: dict) -> str:
    with fault_server(fault_rate=rate, latency_s=0.05, seed=11) as llm:
        spec = write_spec(folder, catalog(llm.url, f"flaky-{folder.name}", **agent))
        plan = compile_spec(spec)
        options = WorkerOptions(
            providers=[*BUILTIN_PROVIDERS.values(), *providers_from_catalogs([folder])]
        )
        workers = build_workers(env.client, options)
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            handles = [
                await start_run(env.client, plan, {"terms": f"deal {i}"}) for i in range(runs)
            ]
            results = await gather_runs(handles, 900)
        finally:
            await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
            for task in tasks:
                task.cancel()
        faults = sum(1 for e in llm.entries() if e.outcome != "ok")
        failures = [r for r in results if isinstance(r, BaseException)]
    ok = runs - len(failures)
    for failure in failures[:3]:
        print(f"  failed: {getattr(failure, 'cause', failure)}", file=sys.stderr)
    return (
        f"fault-rate: {ok}/{runs} runs succeeded ({ok / runs:.0%}) at {rate:.0%} faults "
        f"({faults} faults in {len(llm.entries())} requests)"
    )


async def worker_kills(env, folder: Path, runs: int, kills: int, span_s: float) -> str:
    address = env.client.service_client.config.target_host
    namespace = env.client.namespace
    with fault_server(latency_s=0.5) as llm:
        cat = catalog(llm.url, "killed", heartbeat="1s")
        spec = write_spec(folder, cat)
        (folder / "providers.yaml").write_text(yaml.safe_dump(cat))
        plan = compile_spec(spec)
        log = folder / "workers.log"
        log.touch()

        def start() -> subprocess.Popen[bytes]:
            return start_worker(
                address, log, namespace, "--catalog", str(folder / "providers.yaml")
            )

        workers = [start(), start()]
        times: list[float] = []
        rng = random.Random(5)
        try:
            handles = [
                await start_run(env.client, plan, {"terms": f"deal {i}"}) for i in range(runs)
            ]
            for _ in range(kills):
                await asyncio.sleep(span_s / kills * rng.uniform(0.5, 1.5))
                victim = rng.randrange(len(workers))
                os.killpg(workers[victim].pid, signal.SIGKILL)
                times.append(time.time())
                workers[victim].wait()
                workers[victim] = await asyncio.to_thread(start)
            results = await gather_runs(handles, 600)
        finally:
            for process in workers:
                stop_process(process)
        repeated = unexplained_repeats(llm.entries(), times)
        lost = sum(1 for e in llm.entries() if not e.delivered)
    done = sum(1 for r in results if not isinstance(r, BaseException))
    return (
        f"worker-kills: {done}/{runs} completed, {len(repeated)} completed calls repeated "
        f"({len(times)} kills, {lost} answers lost with a killed worker and asked again)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--kill-runs", type=int, default=20)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--kill-span", type=float, default=45.0)
    parser.add_argument("--only", choices=["fault-rate", "worker-kills"])
    args = parser.parse_args()
    logging.getLogger("podium").setLevel(logging.ERROR)  # each failed attempt logs a line
    env = await start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.only in (None, "fault-rate"):
                for name, agent in (("defaults", {}), ("before", BEFORE)):
                    folder = Path(tmp) / name
                    folder.mkdir()
                    line = await fault_rate(env, folder, args.runs, args.fault_rate, agent)
                    print(line if name == "defaults" else f"  {line} [{BEFORE_TEXT}]", flush=True)
            if args.only in (None, "worker-kills"):
                (Path(tmp) / "b").mkdir()
                line = await worker_kills(
                    env, Path(tmp) / "b", args.kill_runs, args.kills, args.kill_span
                )
                print(line, flush=True)
    except BaseException:
        traceback.print_exc()
        raise
    finally:
        await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
