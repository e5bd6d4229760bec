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
from datetime import timedelta

from baseline import BASELINE_QUEUE, BASELINE_WORKFLOW_QUEUE, BenchChain, echo
from harness import finish, per_unit_against_baseline, run_workers, start_server
from podium.activities.contracts import AgentConfig, ProviderConfig
from podium.workflows.kinds.agent import AgentNode  # noqa: E402
from podium.workflows.plan import Plan
from temporalio.worker import Worker


def podium_plan(steps: int, fast: bool = False) -> Plan:
    """An N-step chain of a zero-latency scripted agent, each reading the previous output
    (``fast``: the agent is declared fast, its calls local activities)."""
    agent = AgentConfig(
        name="echo",
        provider=ProviderConfig(name="scripted", kind="scripted"),
        model="scripted",
        fast=fast,
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

    await per_unit_against_baseline(
        client,
        plan,
        BenchChain.run,
        args.steps,
        rounds=args.rounds,
        unit="step",
        heading=f"N={args.steps} steps",
    )
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
