"""``podium stats [--spec NAME] [--since 24h]``: how runs went, across runs.

Runs are found through visibility (``WorkflowType = "PodiumRun"``, ``StartTime`` and the
``PodiumSpec`` search attribute); each run's state is then read like any run's
(``starters.runs``: completed runs from history, the rest by their ``status`` query).
Success rate and durations count finished runs only (completed, failed, cancelled); a
run terminated or timed out by Temporal counts as failed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import TextIO

from podium.starters.connect import connect
from podium.starters.formatting import latency_text, ms_text, usd, when_minute
from podium.starters.run_report import percentile
from podium.starters.runs import state_or_none
from podium.workflows.durations import parse_duration
from podium.workflows.interpreter import WORKFLOW_NAME
from podium.workflows.search_attributes import SPEC
from podium.workflows.state import RunState
from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

STATS_FORMAT = "podium.stats/1"
DEFAULT_LIMIT = 1000
_STATUS = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TERMINATED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
}


class AgentStats(BaseModel):
    """One agent across runs."""

    name: str
    calls: int = 0
    failed: int = 0
    error_rate: float = 0.0
    """failed / (calls + failed)."""
    errors: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    p95_latency_ms: float | None = None


class Stats(BaseModel):
    """What ``podium stats --format json`` prints."""

    format: str = STATS_FORMAT
    spec: str | None
    since: datetime
    runs: int
    completed: int
    failed: int
    cancelled: int
    running: int
    success_rate: float | None
    """completed / finished runs (None when none finished)."""
    duration_p50_ms: float | None
    duration_p95_ms: float | None
    cost_per_run_usd: float | None
    """Mean cost of the finished runs."""
    agents: list[AgentStats]
    unreadable: list[str] = Field(default_factory=list)
    """Runs counted but whose state could not be read (e.g. no worker to answer a query)."""


def visibility_query(spec: str | None, since: datetime) -> str:
    """The list filter: Podium runs started after ``since`` (of ``spec``, if given)."""
    query = f"WorkflowType = '{WORKFLOW_NAME}' AND StartTime > '{since:%Y-%m-%dT%H:%M:%S}Z'"
    if spec:
        if "'" in spec or '"' in spec:
            raise ValueError(f"--spec {spec!r}: a spec name has no quotes")
        query += f" AND PodiumSpec = '{spec}'"
    return query


async def gather(
    client: Client,
    spec: str | None = None,
    since_s: float = 86400.0,
    *,
    now: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Stats:
    """Find the runs and compute their statistics."""
    since = (now or datetime.now(UTC)) - timedelta(seconds=since_s)
    query = visibility_query(spec, since)
    # sub-workflow runs are PodiumRun too: their cost and calls are already in the parent's;
    # a run that continued as new is counted once, by the last run of its chain (whose
    # state carries the whole chain's)
    executions = [
        e
        async for e in client.list_workflows(query, limit=limit)
        if not e.parent_id and e.status != WorkflowExecutionStatus.CONTINUED_AS_NEW
    ]
    gate = asyncio.Semaphore(8)

    async def read(execution: WorkflowExecution) -> RunState | None:
        async with gate:
            return await state_or_none(client, execution)

    states = await asyncio.gather(*(read(e) for e in executions))
    return summarise(spec, since, list(zip(executions, states, strict=True)))


def summarise(
    spec: str | None, since: datetime, runs: list[tuple[WorkflowExecution, RunState | None]]
) -> Stats:
    """Counts, success rate, duration percentiles, mean cost and per-agent figures."""
    counts = {"completed": 0, "failed": 0, "cancelled": 0, "running": 0}
    durations: list[float] = []
    costs: list[float] = []
    agents: dict[str, AgentStats] = {}
    latencies: dict[str, list[float]] = {}
    unreadable = []
    for execution, state in runs:
        status = _STATUS.get(execution.status or WorkflowExecutionStatus.RUNNING, "running")
        counts[status] += 1
        finished = status != "running"
        if finished and execution.close_time is not None:
            began = execution.start_time  # of this run; of the chain's first when continued
            if state is not None and state.continued and state.started_at is not None:
                began = state.started_at
            durations.append((execution.close_time - began).total_seconds() * 1000)
        if state is None:
            unreadable.append(execution.id)
            continue
        if finished:
            costs.append(state.cost_usd)
        for name, totals in state.agents.items():
            row = agents.setdefault(name, AgentStats(name=name))
            row.calls += totals.calls
            row.failed += totals.failed
            for error, n in totals.errors.items():
                row.errors[error] = row.errors.get(error, 0) + n
            row.cost_usd = round(row.cost_usd + totals.cost_usd, 8)
            latencies.setdefault(name, []).extend(totals.latencies_ms)
    for name, row in agents.items():
        attempts = row.calls + row.failed
        row.error_rate = row.failed / attempts if attempts else 0.0
        row.p95_latency_ms = percentile(latencies.get(name, []), 95)
    done = counts["completed"] + counts["failed"] + counts["cancelled"]
    return Stats(
        spec=spec,
        since=since,
        runs=len(runs),
        **counts,
        success_rate=counts["completed"] / done if done else None,
        duration_p50_ms=percentile(durations, 50),
        duration_p95_ms=percentile(durations, 95),
        cost_per_run_usd=fmean(costs) if costs else None,
        agents=sorted(agents.values(), key=lambda a: a.name),
        unreadable=unreadable,
    )


def print_stats(stats: Stats, since_text: str, out: TextIO) -> None:
    """The statistics as a few lines and a per-agent table."""
    scope = f"runs of {stats.spec}" if stats.spec else "runs"
    out.write(f"{scope} since {when_minute(stats.since)} ({since_text}): {stats.runs}\n")
    if not stats.runs:
        return
    out.write(
        f"  completed {stats.completed}, failed {stats.failed}, "
        f"cancelled {stats.cancelled}, running {stats.running}\n"
    )
    finished = stats.completed + stats.failed + stats.cancelled
    if stats.success_rate is not None:
        out.write(
            f"  success rate {stats.success_rate:.1%} ({stats.completed} of {finished} finished)\n"
        )
    out.write(
        f"  duration p50 {ms_text(stats.duration_p50_ms)}, p95 {ms_text(stats.duration_p95_ms)}\n"
    )
    if stats.cost_per_run_usd is not None:
        out.write(f"  cost per run {usd(stats.cost_per_run_usd)} (mean of finished runs)\n")
    if stats.agents:
        width = max(5, *(len(a.name) for a in stats.agents)) + 2
        out.write(
            f"\n{'AGENT':<{width}}{'CALLS':>7}{'FAILED':>8}{'ERROR RATE':>12}{'P95 LATENCY':>13}\n"
        )
        for agent in stats.agents:
            p95 = latency_text(agent.p95_latency_ms)
            out.write(
                f"{agent.name:<{width}}{agent.calls:>7}{agent.failed:>8}"
                f"{agent.error_rate:>12.1%}{p95:>13}\n"
            )
    if stats.unreadable:
        out.write(
            f"note: {len(stats.unreadable)} run(s) counted without their state "
            f"(no worker answered): {', '.join(stats.unreadable[:5])}\n"
        )


async def main(
    client: Client | None,
    spec: str | None = None,
    since: str = "24h",
    fmt: str = "text",
    address: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Print statistics over runs started in the last ``since`` (e.g. ``24h``, ``7d``)."""
    out = out or sys.stdout
    try:
        since_s = parse_duration(since)
        visibility_query(spec, datetime.now(UTC))
    except ValueError as exc:
        print(f"podium stats: {exc}", file=sys.stderr)
        return 2
    client = client or await connect(address)
    stats = await gather(client, spec, since_s)
    if fmt == "json":
        out.write(json.dumps(stats.model_dump(mode="json"), indent=2) + "\n")
    elif spec and not stats.runs:  # a typo must not read as "0 runs, all fine"
        others = await specs_with_runs(client, stats.since)
        out.write(
            f"no runs of spec {spec!r} since {when_minute(stats.since)} ({since}); "
            + (f"specs with runs then: {', '.join(others)}\n" if others else "no runs at all\n")
        )
    else:
        print_stats(stats, since, out)
    return 0


async def specs_with_runs(client: Client, since: datetime, limit: int = DEFAULT_LIMIT) -> list[str]:
    """Names of the specs with runs started after ``since`` (from visibility only)."""
    names = set()
    async for execution in client.list_workflows(visibility_query(None, since), limit=limit):
        name = execution.typed_search_attributes.get(SPEC)
        if name:
            names.add(name)
    return sorted(names)
