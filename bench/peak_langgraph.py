"""The LangGraph baseline of ``bench/peak.py``: the support-triage flow as a LangGraph
graph, N runs at once in one process, with its SQLite checkpointer or in memory.

    .venv-bench/bin/python bench/peak_langgraph.py --runs 2000 --call-ms 200 --checkpointer sqlite

Bench-only dependencies (the ``bench`` extra, in its own venv: bench/README.md): langgraph,
langgraph-checkpoint-sqlite. Each node stands for one model call: it sleeps ``--call-ms``
and answers what the support catalog's scripted model answers (agents/support.yaml, as
``bench/peers/support_script.py`` has it), so every side makes the same six calls per run
(triage, the routed specialist, a draft, a rejected review, a second draft, an approving
review). Prints one JSON line: runs/s, p50/p95 run latency, this process's CPU seconds and
peak RSS, failures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from peers.support_script import (
    ANSWERS,
    GENERALIST,
    MAX_ROUNDS,
    MESSAGES,
    SPECIALISTS,
    review,
    triage,
    write,
)


class Ticket(TypedDict, total=False):
    name: str
    message: str
    category: str
    answer: str
    draft: str
    feedback: str
    approved: bool
    rounds: int


def build(call_s: float) -> StateGraph:
    async def call() -> None:  # the model's latency
        await asyncio.sleep(call_s)

    async def triage_node(t: Ticket) -> dict[str, Any]:
        await call()
        return {"category": triage(t["message"])["category"]}

    async def specialist(t: Ticket) -> dict[str, Any]:
        await call()
        return {"answer": ANSWERS[SPECIALISTS.get(t["category"], GENERALIST)]}

    async def writer(t: Ticket) -> dict[str, Any]:
        await call()
        draft = write(t["name"], t["answer"], t.get("feedback"))
        return {"draft": draft, "rounds": t.get("rounds", 0) + 1}

    async def reviewer(t: Ticket) -> dict[str, Any]:
        await call()
        verdict = review(t["draft"])
        return {"approved": verdict["approved"], "feedback": verdict["note"]}

    graph = StateGraph(Ticket)
    graph.add_node("triage", triage_node)
    graph.add_node("specialist", specialist)
    graph.add_node("writer", writer)
    graph.add_node("reviewer", reviewer)
    graph.add_edge(START, "triage")
    graph.add_edge("triage", "specialist")
    graph.add_edge("specialist", "writer")
    graph.add_edge("writer", "reviewer")
    graph.add_conditional_edges(
        "reviewer", lambda t: END if t["approved"] or t["rounds"] >= MAX_ROUNDS else "writer"
    )
    return graph


async def peak(runs: int, call_s: float, checkpointer: str) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp())
    if checkpointer == "sqlite":
        async with AsyncSqliteSaver.from_conn_string(str(folder / "checkpoints.db")) as saver:
            return await _run(build(call_s).compile(checkpointer=saver), runs)
    return await _run(build(call_s).compile(checkpointer=InMemorySaver()), runs)


async def _run(app: Any, runs: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0

    async def one(i: int) -> None:
        nonlocal failures
        start = time.perf_counter()
        ticket = {"name": f"customer {i}", "message": MESSAGES[i % len(MESSAGES)]}
        try:
            out = await app.ainvoke(ticket, {"configurable": {"thread_id": f"ticket-{i}"}})
            assert out["approved"], out
        except Exception:
            failures += 1
            return
        latencies.append(time.perf_counter() - start)

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(runs)))
    took = time.perf_counter() - t0
    latencies.sort()
    return {
        "runs_per_s": runs / took,
        "p50_s": latencies[len(latencies) // 2] if latencies else None,
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "cpu_s": time.process_time() - cpu0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "failures": failures,
        "pid": os.getpid(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--call-ms", type=int, default=200)
    parser.add_argument("--checkpointer", choices=["sqlite", "memory"], default="sqlite")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(peak(args.runs, args.call_ms / 1000, args.checkpointer))))


if __name__ == "__main__":
    main()
