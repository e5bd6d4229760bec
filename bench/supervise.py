"""Podium's cost per supervisor turn, against a hand-written Temporal workflow that runs
the same loop (a manager activity that reads the last turns, then the member it picked,
N times, then a last manager turn), and the largest history of a 500-turn supervision.

    .venv/bin/python bench/supervise.py [--turns 50] [--rounds 5] [--long 500]

Podium: a ``supervise`` step whose manager and member are on the offline scripted model
(zero latency). Same dev server, workers in this process, runs alternating. Prints ms per
turn (median, min–max) and the ratio (target <= 1.2); then one run of ``--long`` turns
(continuing as new between turns) with its chain length and largest history.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import yaml
from baseline import BASELINE_QUEUE, BASELINE_WORKFLOW_QUEUE, BenchSupervisor, decide, work
from harness import finish, per_unit_against_baseline, run_workers, start_server
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from temporalio.worker import Worker


def spec(turns: int) -> dict:
    pick = {
        "when": f"turn <= `{turns}`",
        "output": {"next": "worker", "task": "task {{ turn }}", "reason": "next"},
    }
    done = {"output": {"next": "done", "reason": "all done", "output": "finished"}}
    return {
        "name": f"supervise_{turns}",
        "agents": {
            "agents": {
                "lead": {"model": "scripted", "script": [pick, done]},
                "worker": {"model": "scripted", "script": [{"output": {"done": "{{ task }}"}}]},
            }
        },
        "steps": [
            {
                "id": "team",
                "supervise": {
                    "manager": "lead",
                    "team": {"worker": {"agent": "worker"}},
                    "max_turns": turns + 1,
                },
            }
        ],
        "output": "steps.team.output",
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--long", type=int, default=500)
    args = parser.parse_args()
    env = await start_server()
    client = env.client
    baseline = [
        Worker(client, task_queue=BASELINE_QUEUE, activities=[decide, work]),
        Worker(
            client,
            task_queue=BASELINE_WORKFLOW_QUEUE,
            workflows=[BenchSupervisor],
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
        ),
    ]
    running = await run_workers(env, baseline)
    folder = Path(tempfile.mkdtemp())

    def compiled(turns: int):
        path = folder / f"supervise_{turns}.yaml"
        path.write_text(yaml.safe_dump(spec(turns)))
        return compile_spec(path)

    plan = compiled(args.turns)

    await per_unit_against_baseline(
        client,
        plan,
        BenchSupervisor.run,
        args.turns,
        rounds=args.rounds,
        unit="turn",
        heading=f"{args.turns} supervisor turns in a row",
    )

    start = time.perf_counter()
    handle = await start_run(client, compiled(args.long), {})
    result = await handle.result()
    took = time.perf_counter() - start
    sizes = []
    async for execution in client.list_workflows(f"WorkflowId = '{handle.id}'"):
        history = await client.get_workflow_handle(
            handle.id, run_id=execution.run_id
        ).fetch_history()
        sizes.append((len(history.events), sum(e.ByteSize() for e in history.events)))
    decisions = len(result.state.step("team").supervision)
    events, size = max(sizes, key=lambda s: s[1])
    print(
        f"{args.long}-turn supervision: {decisions} decisions in {took:.1f} s, "
        f"{len(sizes)} runs (continue-as-new), largest history {size / 1024 / 1024:.2f} MB / "
        f"{events} events"
    )
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
