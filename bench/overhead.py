"""Podium's per-step overhead against a minimal hand-written Temporal workflow.

The same N-step chain (zero-latency scripted agent) runs through Podium's
interpreter and through a hand-written workflow with one activity per step; same
dev server (Podium's flags), same in-process worker layout (orchestration queue +
one activity queue), runs alternating. Prints ms per step (median, min–max) and the
ratio Podium / hand-written.

    .venv/bin/python bench/overhead.py [--steps 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio import activity, workflow  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from activities.contracts import AgentConfig, ProviderConfig  # noqa: E402
from starters.devserver import DYNAMIC_CONFIG, temporal_binary  # noqa: E402
from starters.launch import start_run  # noqa: E402
from workers.worker import WorkerOptions, build_workers  # noqa: E402
from workflows import search_attributes as sa  # noqa: E402
from workflows.plan import AgentNode, Plan  # noqa: E402

BASELINE_QUEUE = "bench-baseline"


@activity.defn(name="bench.echo")
async def echo(value: dict) -> dict:
    """The hand-written agent: returns its input."""
    return {"output": value}


@workflow.defn(name="BenchChain", sandboxed=False)
class BenchChain:
    """Minimal hand-written chain: one activity per step, output feeds the next."""

    @workflow.run
    async def run(self, steps: int) -> dict:
        value: dict = {"text": "start"}
        for i in range(steps):
            value = await workflow.execute_activity(
                echo,
                {"step": i, "prev": value.get("output", value)},
                task_queue=BASELINE_QUEUE,
                start_to_close_timeout=timedelta(seconds=30),
            )
        return value


def podium_plan(steps: int) -> Plan:
    agent = AgentConfig(
        name="echo", provider=ProviderConfig(name="scripted", kind="scripted"), model="scripted"
    )
    plan_steps = [
        AgentNode(
            id=f"s{i}",
            agent=agent,
            timeout_s=30,
            retry=agent.retry,
            inputs={"step": f"`{i}`", **({"prev": f"steps.s{i - 1}.output"} if i else {})},
        )
        for i in range(steps)
    ]
    return Plan(name="bench_chain", steps=plan_steps, output=f"steps.s{steps - 1}.output")


def spread(values: list[float], digits: int = 2) -> str:
    """``median M (min A – max B)``."""
    med, low, high = statistics.median(values), min(values), max(values)
    return f"median {med:.{digits}f} (min {low:.{digits}f} – max {high:.{digits}f})"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    extra = []
    for key, value in DYNAMIC_CONFIG.items():
        extra += ["--dynamic-config-value", f"{key}={value}"]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=sa.ALL,
        dev_server_extra_args=extra,
    )
    client = env.client
    workers = build_workers(client, WorkerOptions())
    workers.append(Worker(client, task_queue=BASELINE_QUEUE, activities=[echo]))
    workers.append(
        Worker(
            client,
            task_queue="bench-orchestration",
            workflows=[BenchChain],
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
        )
    )
    running = [asyncio.create_task(w.run()) for w in workers]
    plan = podium_plan(args.steps)

    async def run_podium() -> float:
        start = time.perf_counter()
        handle = await start_run(client, plan, {})
        await handle.result()
        return time.perf_counter() - start

    async def run_baseline() -> float:
        start = time.perf_counter()
        await client.execute_workflow(
            BenchChain.run,
            args.steps,
            id=f"bench-{uuid.uuid4().hex[:8]}",
            task_queue="bench-orchestration",
        )
        return time.perf_counter() - start

    await run_podium()  # warm-up both paths
    await run_baseline()
    podium, baseline = [], []
    for _ in range(args.rounds):
        podium.append(await run_podium())
        baseline.append(await run_baseline())
    per_step = lambda xs: [1000 * x / args.steps for x in xs]  # noqa: E731
    p, b = per_step(podium), per_step(baseline)
    ratios = [x / y for x, y in zip(podium, baseline, strict=True)]
    print(f"N={args.steps} steps, {args.rounds} alternating rounds, cores={os.cpu_count()}")
    print(f"podium       ms/step: {spread(p)}")
    print(f"hand-written ms/step: {spread(b)}")
    print(f"ratio podium / hand-written: {spread(ratios, 3)}; target <= 1.2")
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    del running
    await env.shutdown()
    sys.stdout.flush()
    os._exit(0)  # temporalio/sdk-python#300


if __name__ == "__main__":
    asyncio.run(main())
