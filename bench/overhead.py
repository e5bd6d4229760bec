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
import time
import uuid
from datetime import timedelta

from baseline import BASELINE_QUEUE, BASELINE_WORKFLOW_QUEUE, BenchChain, echo
from harness import alternate, finish, run_workers, spread, start_server
from podium.activities.contracts import AgentConfig, ProviderConfig
from podium.starters.launch import start_run
from podium.workflows.kinds.agent import AgentNode  # noqa: E402
from podium.workflows.plan import Plan
from temporalio.worker import Worker


def podium_plan(steps: int) -> Plan:
    """An N-step chain of a zero-latency scripted agent, each reading the previous output."""
    agent = AgentConfig(
        name="echo", provider=ProviderConfig(name="scripted", kind="scripted"), model="scripted"
    )
    nodes = [
        AgentNode(
            id=f"s{i}",
            agent=agent,
            timeout_s=30,
            retry=agent.retry,
            inputs={"step": f"`{i}`", **({"prev": f"steps.s{i - 1}.output"} if i else {})},
            needs=[f"s{i - 1}"] if i else [],
        )
        for i in range(steps)
    ]
    return Plan(name="bench_chain", steps=nodes, output=f"steps.s{steps - 1}.output")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = await start_server()
    client = env.client
    baseline = [
        Worker(client, task_queue=BASELINE_QUEUE, activities=[echo]),
        Worker(
            client,
            task_queue=BASELINE_WORKFLOW_QUEUE,
            workflows=[BenchChain],
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
        ),
    ]
    running = await run_workers(env, baseline)
    plan = podium_plan(args.steps)

    async def run_podium() -> float:
        start = time.perf_counter()
        await (await start_run(client, plan, {})).result()
        return time.perf_counter() - start

    async def run_baseline() -> float:
        start = time.perf_counter()
        await client.execute_workflow(
            BenchChain.run,
            args.steps,
            id=f"bench-{uuid.uuid4().hex[:8]}",
            task_queue=BASELINE_WORKFLOW_QUEUE,
        )
        return time.perf_counter() - start

    podium, hand = await alternate(run_podium, run_baseline, args.rounds)
    p = [1000 * x / args.steps for x in podium]
    b = [1000 * x / args.steps for x in hand]
    ratios = [x / y for x, y in zip(podium, hand, strict=True)]
    print(f"N={args.steps} steps, {args.rounds} alternating rounds, cores={os.cpu_count()}")
    print(f"podium       ms/step: {spread(p)}")
    print(f"hand-written ms/step: {spread(b)}")
    print(f"ratio podium / hand-written: {spread(ratios, 3)}; target <= 1.2")
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
