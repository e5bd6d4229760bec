"""Fan-out of N agents that each take 1.0 s: Podium's ``map`` vs hand-written ``gather``.

Same dev server (Podium's flags), same worker settings (2,000 activity slots per
queue), runs alternating. For N = 10, 100, 1000 prints wall time of both,
efficiency (ideal 1.0 s / wall) and the ratio Podium / hand-written.

    .venv/bin/python bench/fanout.py [--sizes 10 100 1000] [--rounds 3] [--batch-size 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from baseline import BASELINE_QUEUE, BASELINE_WORKFLOW_QUEUE, BenchFanOut, sleep_call
from harness import finish, run_workers, spread, start_server
from podium.activities.contracts import AgentConfig, ProviderConfig
from podium.starters.launch import start_run
from podium.workers.worker import DEFAULT_ACTIVITY_SLOTS
from podium.workflows.kinds.agent import AgentNode  # noqa: E402
from podium.workflows.kinds.map import MapNode  # noqa: E402
from podium.workflows.plan import Plan
from temporalio.worker import Worker

LATENCY_S = 1.0


def fanout_plan(size: int, batch_size: int) -> Plan:
    """``map`` over ``input.items`` with a scripted agent that takes 1.0 s."""
    agent = AgentConfig(
        name="slow",
        provider=ProviderConfig(name="scripted", kind="scripted"),
        model="scripted",
        latency_s=LATENCY_S,
    )
    template = AgentNode(
        id="call", agent=agent, timeout_s=60, retry=agent.retry, inputs={"item": "vars.item"}
    )
    node = MapNode(
        id="fan", over="input.items", template=template, max_concurrency=size, batch_size=batch_size
    )
    return Plan(name="bench_fanout", steps=[node], output="length(steps.fan.output)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    env = await start_server()
    client = env.client
    baseline = [
        Worker(
            client,
            task_queue=BASELINE_QUEUE,
            activities=[sleep_call],
            max_concurrent_activities=DEFAULT_ACTIVITY_SLOTS,
        ),
        Worker(client, task_queue=BASELINE_WORKFLOW_QUEUE, workflows=[BenchFanOut]),
    ]
    running = await run_workers(env, baseline)

    async def podium(size: int) -> float:
        plan = fanout_plan(size, args.batch_size)
        start = time.perf_counter()
        result = await (await start_run(client, plan, {"items": list(range(size))})).result()
        assert result.output == size
        return time.perf_counter() - start

    async def hand(size: int) -> float:
        start = time.perf_counter()
        count = await client.execute_workflow(
            BenchFanOut.run,
            [float(size), LATENCY_S],
            id=f"fan-{uuid.uuid4().hex[:8]}",
            task_queue=BASELINE_WORKFLOW_QUEUE,
        )
        assert count == size
        return time.perf_counter() - start

    await podium(10)
    await hand(10)
    print(
        f"fan-out of N agents x {LATENCY_S:.1f} s; {args.rounds} alternating rounds; "
        f"{DEFAULT_ACTIVITY_SLOTS} activity slots; map batch_size={args.batch_size}; "
        f"cores={os.cpu_count()}"
    )
    for size in args.sizes:
        p_times, h_times = [], []
        for _ in range(args.rounds):
            p_times.append(await podium(size))
            h_times.append(await hand(size))
        ratios = [p / h for p, h in zip(p_times, h_times, strict=True)]
        print(
            f"N={size:>5}  podium wall s: {spread(p_times)}  efficiency "
            f"{LATENCY_S / min(p_times):.2f}"
        )
        print(
            f"        hand-written wall s: {spread(h_times)}  "
            f"efficiency {LATENCY_S / min(h_times):.2f}"
        )
        print(f"        ratio podium / hand-written: {spread(ratios, 3)}; target <= 1.1")
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
