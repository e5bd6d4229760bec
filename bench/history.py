"""History sizes of long and large runs: wall time, the largest single history (bytes and
events) and how many runs the continue-as-new chain has, one line per case.

    .venv/bin/python bench/history.py [--cases a b c d] [--items 20000] [--rounds 3]

(a) map over N items with a 250 KB run input; (b) an agent answer of 3 MB, and three
700 KB answers in one run; (c) a refine loop of 500 rounds; (d) the shape of
temporalio/sdk-python#1890: 100 sequential calls, each receiving the growing transcript
plus a 5 KB tool result — run with the file payload store, with a no-op store (copies
kept in memory: the converter's cost without I/O) and with no store, alternating.
Targets: every case completes; no history above 10 MB or 10,000 events; (d) within 1.2x
of the no-op store's wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from harness import finish, spread, start_server
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import (
    ExternalStorage,
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

AGENTS = "function:tests.support.agents:"


class MemoryStore(StorageDriver):
    """A payload store that keeps copies in this process (no I/O): the no-op baseline."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def name(self) -> str:
        return "bench.memory"

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        claims = []
        for payload in payloads:  # a copy: the SDK turns the payload into its reference
            key = str(len(self.objects))
            self.objects[key] = payload.SerializeToString()
            claims.append(StorageDriverClaim(claim_data={"key": key}))
        return claims

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        return [Payload.FromString(self.objects[c.claim_data["key"]]) for c in claims]


def write(folder: Path, spec: dict[str, Any]) -> Path:
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def spec_map(items: int) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = {
        "name": "big_map",
        "agents": {"agents": {"echo": {"model": AGENTS + "echo"}}},
        "steps": [
            {
                "id": "each",
                "map": {"over": "input.items", "max_concurrency": 200, "batch_size": 100},
                "step": {"agent": "echo", "with": {"value": "vars.item"}},
            }
        ],
        "output": "length(steps.each.output)",
    }
    return spec, {"items": list(range(items)), "document": "x" * 250_000}


def spec_outputs(sizes: list[int]) -> tuple[dict[str, Any], dict[str, Any]]:
    steps = [
        {"id": f"b{i}", "agent": "blob", "with": {"size": size}} for i, size in enumerate(sizes)
    ]
    spec = {
        "name": f"outputs_{len(sizes)}",
        "agents": {"agents": {"blob": {"model": AGENTS + "blob"}}},
        "steps": steps,
        "output": {s["id"]: f"steps.{s['id']}.output.size" for s in steps},
    }
    return spec, {}


def spec_refine(rounds: int) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = {
        "name": "long_refine",
        "agents": {
            "agents": {
                "writer": {"model": AGENTS + "echo"},
                "editor": {"model": AGENTS + "never_satisfied"},
            }
        },
        "steps": [
            {
                "id": "polish",
                "refine": {
                    "producer": {"agent": "writer", "with": {"value": "vars.feedback"}},
                    "reviewer": {"agent": "editor", "with": {"draft": "vars.draft"}},
                    "until": "vars.review.approved",
                    "max_rounds": rounds,
                },
            }
        ],
    }
    return spec, {}


def spec_transcript(turns: int, tool_kb: int) -> tuple[dict[str, Any], dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for i in range(turns):
        transcript = f"steps.t{i - 1}.output.transcript" if i else "`[]`"
        steps.append(
            {"id": f"t{i}", "agent": "turn", "with": {"transcript": transcript, "tool_kb": tool_kb}}
        )
    spec = {
        "name": "growing_transcript",
        "agents": {"agents": {"turn": {"model": AGENTS + "transcript_turn"}}},
        "steps": steps,
        "output": f"steps.t{turns - 1}.output.turns",
    }
    return spec, {}


async def histories(client: Client, workflow_id: str) -> list[tuple[int, int]]:
    """(bytes, events) of every run of ``workflow_id``'s chain and of its children's."""
    found = []
    await asyncio.sleep(1)  # visibility lags a little
    async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        handle = client.get_workflow_handle(workflow_id, run_id=execution.run_id)
        history = await handle.fetch_history()
        found.append((sum(e.ByteSize() for e in history.events), len(history.events)))
        for event in history.events:
            if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
                child = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
                found += await histories(client, child)
    return found


async def run_case(
    client: Client, folder: Path, label: str, spec: dict[str, Any], run_input: dict[str, Any]
) -> float:
    plan = compile_spec(write(folder, spec))
    started = time.perf_counter()
    handle = await start_run(client, plan, run_input)
    try:
        result = await handle.result()
        outcome = f"completed (continued {result.state.continued}x)"
    except Exception as exc:  # noqa: BLE001 - a failed case is reported, not raised
        cause = getattr(exc, "cause", None) or exc
        outcome = f"FAILED: {type(cause).__name__}: {str(cause)[:120]}"
    wall = time.perf_counter() - started
    runs = await histories(client, handle.id)
    chain = sum(1 for _ in [r async for r in client.list_workflows(f"WorkflowId = '{handle.id}'")])
    biggest = max(runs)
    most = max(events for _, events in runs)
    print(
        f"{label:<34} {wall:8.1f} s  largest history {biggest[0] / 1024 / 1024:6.2f} MB, "
        f"most events {most:6,}  chain {chain}  workflows {len(runs):4}  {outcome}",
        flush=True,
    )
    return wall


class Stack:
    """Workers for one converter (one at a time: they share the task queues)."""

    def __init__(self, env: Any, settings: PayloadSettings, memory: bool = False):
        converter = data_converter(settings)
        if memory:  # the same converter with a store that does no I/O
            storage = ExternalStorage(drivers=[MemoryStore()], payload_size_threshold=128 * 1024)
            converter = dataclasses.replace(converter, external_storage=storage)
        config = env.client.config()
        config["data_converter"] = converter
        self.client = Client(**config)
        self.workers = build_workers(self.client, WorkerOptions(activity_slots=400))
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Client:
        self.tasks = [asyncio.create_task(w.run()) for w in self.workers]
        return self.client

    async def __aexit__(self, *exc: Any) -> None:
        await asyncio.gather(*(w.shutdown() for w in self.workers), return_exceptions=True)


async def main(cases: list[str], items: int, rounds: int) -> None:
    env = await start_server()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = PayloadSettings(store=f"file:{folder / 'payloads'}")
        print(store.describe(), flush=True)
        async with Stack(env, store) as client:
            if "a" in cases:
                await run_case(
                    client, folder, f"(a) map {items:,} items, 250 KB input", *spec_map(items)
                )
            if "b" in cases:
                await run_case(client, folder, "(b) one 3 MB answer", *spec_outputs([3_000_000]))
                await run_case(
                    client, folder, "(b) three 700 KB answers", *spec_outputs([700_000] * 3)
                )
            if "c" in cases:
                await run_case(client, folder, "(c) refine, 500 rounds", *spec_refine(500))
        if "d" in cases:
            walls: dict[str, list[float]] = {"file": [], "memory": [], "no": []}
            for _ in range(rounds):
                for name in ("file", "memory", "no"):
                    settings = PayloadSettings() if name == "no" else store
                    async with Stack(env, settings, memory=name == "memory") as client:
                        label = f"(d) 100 turns +5 KB, {name} store"
                        walls[name].append(
                            await run_case(client, folder, label, *spec_transcript(100, 5))
                        )
            ratios = [f / m for f, m in zip(walls["file"], walls["memory"], strict=True)]
            print(f"(d) wall time file store / no-op store: {spread(ratios, 3)}; target <= 1.2")
            print(
                f"(d) medians: file store {statistics.median(walls['file']):.1f} s, no-op "
                f"store {statistics.median(walls['memory']):.1f} s"
            )
    await finish(env)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", nargs="+", default=["a", "b", "c", "d"])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.items, args.rounds))
