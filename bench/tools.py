"""Podium's cost per tool call, against a hand-written Temporal workflow that runs the
same loop (a model-turn activity that receives the conversation so far, then the tool as
an activity, N times), and the largest history of a 100-tool-call run.

    .venv/bin/python bench/tools.py [--calls 50] [--rounds 5]

Podium: an agent on the offline scripted model (zero latency) asks for one function
tool per turn, N turns, then answers. Same dev server, workers in this process, runs
alternating. Prints ms per tool call (median, min–max) and the ratio (target <= 1.2);
then one run with 10 turns of 10 parallel calls (100 calls) and its history size.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

import yaml
from baseline import BASELINE_QUEUE, BASELINE_WORKFLOW_QUEUE, BenchToolLoop, lookup, think
from harness import finish, per_unit_against_baseline, run_workers, start_server
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from temporalio.worker import Worker


def spec(turns: int, per_turn: int) -> dict:
    calls = [
        {"name": "lookup", "arguments": {"topic": f"t{{{{ turn }}}}-{i}"}} for i in range(per_turn)
    ]
    return {
        "name": f"tool_loop_{turns}x{per_turn}",
        "agents": {
            "tools": {"lookup": {"function": "tests.support.tools:quick_lookup"}},
            "agents": {
                "worker": {
                    "model": "scripted",
                    "tools": ["lookup"],
                    "max_turns": min(turns + 1, 100),
                    "script": [
                        {"when": f"turn <= `{turns}`", "tool_calls": calls},
                        {"output": "done"},
                    ],
                }
            },
        },
        "steps": [{"id": "loop", "agent": "worker"}],
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = await start_server()
    client = env.client
    baseline = [
        Worker(client, task_queue=BASELINE_QUEUE, activities=[think, lookup]),
        Worker(
            client,
            task_queue=BASELINE_WORKFLOW_QUEUE,
            workflows=[BenchToolLoop],
            sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
        ),
    ]
    running = await run_workers(env, baseline)
    folder = Path(tempfile.mkdtemp())

    def compiled(turns: int, per_turn: int):
        path = folder / f"loop_{turns}_{per_turn}.yaml"
        path.write_text(yaml.safe_dump(spec(turns, per_turn)))
        return compile_spec(path)

    plan = compiled(args.calls, 1)

    await per_unit_against_baseline(
        client,
        plan,
        BenchToolLoop.run,
        args.calls,
        rounds=args.rounds,
        unit="tool call",
        heading=f"{args.calls} tool calls in a row",
    )

    handle = await start_run(client, compiled(10, 10), {})
    result = await handle.result()
    history = await handle.fetch_history()
    sizes = [event.ByteSize() for event in history.events]
    calls = len(result.state.step("loop").tool_calls)
    print(
        f"100-call run (10 turns x 10 parallel): {calls} calls, {len(sizes)} events, "
        f"{sum(sizes) / 1024:.0f} KB of history, largest event {max(sizes) / 1024:.1f} KB"
    )
    del running
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
