"""Minimal hand-written Temporal workflows: the baselines Podium is measured against.

Kept in their own module, importing only temporalio, so the workflow sandbox loads
them exactly as it would load any user's workflow module.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

BASELINE_QUEUE = "bench-baseline"
BASELINE_WORKFLOW_QUEUE = "bench-orchestration"


@activity.defn(name="bench.echo")
async def echo(value: dict) -> dict:
    """The hand-written agent: returns its input."""
    return {"output": value}


@activity.defn(name="bench.sleep")
async def sleep_call(seconds: float) -> dict:
    """The hand-written slow agent: waits, then answers."""
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@workflow.defn(name="BenchChain")
class BenchChain:
    """One activity per step, each output feeding the next."""

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


@workflow.defn(name="BenchFanOut")
class BenchFanOut:
    """N activities at once with ``asyncio.gather``."""

    @workflow.run
    async def run(self, args: list[float]) -> int:
        count, seconds = int(args[0]), args[1]
        results = await asyncio.gather(
            *(
                workflow.execute_activity(
                    sleep_call,
                    seconds,
                    task_queue=BASELINE_QUEUE,
                    start_to_close_timeout=timedelta(seconds=60),
                )
                for _ in range(count)
            )
        )
        return len(results)


@activity.defn(name="bench.think")
async def think(transcript: list[dict]) -> dict:
    """The hand-written model turn: reads the conversation so far (as any model call in an
    agent loop must), asks for one tool call."""
    return {"tool": "lookup", "arguments": {"topic": f"t{len(transcript) // 2}"}}


@activity.defn(name="bench.lookup")
async def lookup(arguments: dict) -> dict:
    """The hand-written tool: answers at once."""
    return {"topic": arguments.get("topic"), "found": True}


@workflow.defn(name="BenchToolLoop")
class BenchToolLoop:
    """A model turn, then the tool it asked for, N times; then a last turn."""

    @workflow.run
    async def run(self, calls: int) -> int:
        timeout = timedelta(seconds=30)
        transcript: list[dict] = []
        for _ in range(calls):
            ask = await workflow.execute_activity(
                think, transcript, task_queue=BASELINE_QUEUE, start_to_close_timeout=timeout
            )
            result = await workflow.execute_activity(
                lookup, ask["arguments"], task_queue=BASELINE_QUEUE, start_to_close_timeout=timeout
            )
            transcript += [ask, result]
        await workflow.execute_activity(
            think, transcript, task_queue=BASELINE_QUEUE, start_to_close_timeout=timeout
        )
        return len(transcript) // 2


@activity.defn(name="bench.decide")
async def decide(turns: list[dict]) -> dict:
    """The hand-written manager: reads the last turns (as a supervisor must), picks the
    next member."""
    return {"next": "worker", "task": f"task {len(turns)}", "reason": "next"}


@activity.defn(name="bench.work")
async def work(task: str) -> dict:
    """The hand-written team member: answers at once."""
    return {"done": task}


@workflow.defn(name="BenchSupervisor")
class BenchSupervisor:
    """A manager turn, then the member it picked, N times; then a last (done) turn."""

    @workflow.run
    async def run(self, turns: int) -> int:
        timeout = timedelta(seconds=30)
        seen: list[dict] = []
        for _ in range(turns):
            choice = await workflow.execute_activity(
                decide, seen[-10:], task_queue=BASELINE_QUEUE, start_to_close_timeout=timeout
            )
            output = await workflow.execute_activity(
                work, choice["task"], task_queue=BASELINE_QUEUE, start_to_close_timeout=timeout
            )
            seen.append({**choice, "output": output})
        await workflow.execute_activity(
            decide, seen[-10:], task_queue=BASELINE_QUEUE, start_to_close_timeout=timeout
        )
        return len(seen)
