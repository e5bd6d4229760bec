"""How runs went, across runs: what ``podium stats`` prints and the console's "At a glance"
page shows.

Runs are found through visibility (``WorkflowType = "PodiumRun"``, ``StartTime`` and the
``PodiumSpec`` search attribute); each run's state is then read like any run's
(``starters.runs``: completed runs from history, the rest by their ``status`` query).
Success rate and durations count finished runs only (completed, failed, cancelled); a
run terminated or timed out by Temporal counts as failed.

Each agent's accuracy is summed from the runs' ``AgentTotals.accuracy`` (contract failures
and repairs, reviewer verdicts, people's decisions: ``workflows/accuracy.py``); its eval
score is the mean of the scores ``podium eval`` recorded in the period
(``PodiumEvalScores`` workflows: ``workflows/eval_scores.py``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from statistics import fmean

from podium.starters import eval_scores
from podium.starters.run_report import percentile
from podium.starters.runs import state_or_none
from podium.workflows.eval_scores import WORKFLOW_NAME as SCORES_WORKFLOW
from podium.workflows.interpreter import WORKFLOW_NAME
from podium.workflows.search_attributes import SPEC
from podium.workflows.state import AgentAccuracy, RunState
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
_ENDED_BY_TEMPORAL = {
    WorkflowExecutionStatus.TERMINATED: "Terminated",
    WorkflowExecutionStatus.TIMED_OUT: "TimedOut",
}

Run = tuple[WorkflowExecution, RunState | None]
"""A run as visibility lists it, and its state (None when it could not be read)."""


class AgentStats(BaseModel):
    """One agent across runs."""

    name: str
    runs: int = 0
    """Runs that called it."""
    calls: int = 0
    failed: int = 0
    error_rate: float = 0.0
    """failed / (calls + failed)."""
    errors: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    p50_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    waiting_on_people: int = 0
    """Its tool calls waiting for a person's approval now."""
    contract_failures: int = 0
    """Answers that failed its output contract."""
    contract_failure_rate: float | None = None
    """contract_failures / every answer (valid ones: ``calls``; None: no answer)."""
    repairs: int = 0
    """Invalid answers a repair round fixed."""
    repair_rate: float | None = None
    """repairs / contract_failures (None: no contract failure)."""
    reviews_accepted: int = 0
    reviews_rejected: int = 0
    review_acceptance: float | None = None
    """Share of its refine drafts the reviewer accepted (None: never reviewed)."""
    human_approved: int = 0
    human_rejected: int = 0
    human_rejection_rate: float | None = None
    """Share of people's decisions on its work that rejected it (None: none decided)."""
    eval_scores: int = 0
    """Scores ``podium eval`` recorded for it in the period."""
    eval_score: float | None = None
    """Their mean, 0 to 1 (None: not evaluated)."""


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
    cost_usd: float = 0.0
    """What the runs spent, running ones included (runs whose state was read)."""
    waiting_on_people: int = 0
    """Runs with a request open for a person now."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Failed runs by failure class (the failed step's error, or ``Terminated`` /
    ``TimedOut`` when Temporal ended the run)."""
    agents: list[AgentStats]
    unreadable: list[str] = Field(default_factory=list)
    """Runs counted but whose state could not be read (e.g. no worker to answer a query)."""


def visibility_query(spec: str | None, since: datetime, workflow_type: str = WORKFLOW_NAME) -> str:
    """The list filter: Podium runs (or other ``workflow_type``) started after ``since``
    (of ``spec``, if given)."""
    query = f"WorkflowType = '{workflow_type}' AND StartTime > '{since:%Y-%m-%dT%H:%M:%S}Z'"
    if spec:
        if "'" in spec or '"' in spec:
            raise ValueError(f"--spec {spec!r}: a spec name has no quotes")
        query += f" AND PodiumSpec = '{spec}'"
    return query


async def read_runs(
    client: Client, spec: str | None, since: datetime, limit: int = DEFAULT_LIMIT
) -> list[Run]:
    """The runs started after ``since`` (of ``spec``, if given), each with its state."""
    # sub-workflow runs are PodiumRun too: their cost and calls are already in the parent's;
    # a run that continued as new is counted once, by the last run of its chain (whose
    # state carries the whole chain's)
    executions = [
        e
        async for e in client.list_workflows(visibility_query(spec, since), limit=limit)
        if not e.parent_id and e.status != WorkflowExecutionStatus.CONTINUED_AS_NEW
    ]
    gate = asyncio.Semaphore(8)

    async def read(execution: WorkflowExecution) -> RunState | None:
        async with gate:
            return await state_or_none(client, execution)

    states = await asyncio.gather(*(read(e) for e in executions))
    return list(zip(executions, states, strict=True))


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
    scores_query = visibility_query(spec, since, SCORES_WORKFLOW)
    runs, scores = await asyncio.gather(
        read_runs(client, spec, since, limit), eval_scores.read(client, scores_query, limit)
    )
    return summarise(spec, since, runs, scores)


def spec_of(run: Run) -> str:
    """The run's spec: its ``PodiumSpec`` search attribute, else its state's."""
    execution, state = run
    return execution.typed_search_attributes.get(SPEC) or (state.spec if state else "") or "?"


def failure_class(run: Run) -> str | None:
    """Why a failed run failed, as a class name (None for a run that did not fail)."""
    execution, state = run
    status = execution.status or WorkflowExecutionStatus.RUNNING
    if status in _ENDED_BY_TEMPORAL:
        return _ENDED_BY_TEMPORAL[status]
    if status != WorkflowExecutionStatus.FAILED:
        return None
    failed = [s for s in (state.steps if state else []) if s.status == "failed" and s.error_type]
    stopped = [s for s in failed if not s.tolerated]  # an optional step's failure is not it
    return (stopped or failed)[0].error_type if stopped or failed else "unclassified"


def summarise(
    spec: str | None,
    since: datetime,
    runs: list[Run],
    eval_scores: dict[str, list[float]] | None = None,
) -> Stats:
    """Counts, success rate, duration percentiles, cost, who waits on people, failure
    classes and per-agent figures (``eval_scores``: by agent, from ``eval_scores.read``)."""
    counts = {"completed": 0, "failed": 0, "cancelled": 0, "running": 0}
    durations: list[float] = []
    costs: list[float] = []
    spent = 0.0
    waiting = 0
    failures: dict[str, int] = {}
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
        failure = failure_class((execution, state))
        if failure is not None:
            failures[failure] = failures.get(failure, 0) + 1
        if state is None:
            unreadable.append(execution.id)
            continue
        if finished:
            costs.append(state.cost_usd)
        spent += state.cost_usd
        asked = state.open_requests() if not finished else []
        waiting += bool(asked)
        for name, totals in state.agents.items():
            row = agents.setdefault(name, AgentStats(name=name))
            row.runs += 1
            row.calls += totals.calls
            row.failed += totals.failed
            for error, n in totals.errors.items():
                row.errors[error] = row.errors.get(error, 0) + n
            row.cost_usd = round(row.cost_usd + totals.cost_usd, 8)
            latencies.setdefault(name, []).extend(totals.latencies_ms)
            add_accuracy(row, totals.accuracy)
        for request in asked:
            if request.tool_call is not None:
                who = request.tool_call.agent
                agents.setdefault(who, AgentStats(name=who)).waiting_on_people += 1
    for name, scores in (eval_scores or {}).items():
        row = agents.setdefault(name, AgentStats(name=name))
        row.eval_scores, row.eval_score = len(scores), fmean(scores) if scores else None
    for name, row in agents.items():
        attempts = row.calls + row.failed
        row.error_rate = row.failed / attempts if attempts else 0.0
        row.p50_latency_ms = percentile(latencies.get(name, []), 50)
        row.p95_latency_ms = percentile(latencies.get(name, []), 95)
        accuracy_rates(row)
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
        cost_usd=round(spent, 8),
        waiting_on_people=waiting,
        failures=dict(sorted(failures.items(), key=lambda kv: (-kv[1], kv[0]))),
        agents=sorted(agents.values(), key=lambda a: a.name),
        unreadable=unreadable,
    )


def add_accuracy(row: AgentStats, accuracy: AgentAccuracy) -> None:
    """Add one run's accuracy counts of an agent to its row."""
    row.contract_failures += accuracy.contract_failures
    row.repairs += accuracy.repairs
    row.reviews_accepted += accuracy.reviews_accepted
    row.reviews_rejected += accuracy.reviews_rejected
    row.human_approved += accuracy.human_approved
    row.human_rejected += accuracy.human_rejected


def accuracy_rates(row: AgentStats) -> None:
    """The row's accuracy rates from its counts (None where nothing was measured)."""
    answers = row.calls + row.contract_failures
    row.contract_failure_rate = row.contract_failures / answers if answers else None
    row.repair_rate = row.repairs / row.contract_failures if row.contract_failures else None
    reviews = row.reviews_accepted + row.reviews_rejected
    row.review_acceptance = row.reviews_accepted / reviews if reviews else None
    decisions = row.human_approved + row.human_rejected
    row.human_rejection_rate = row.human_rejected / decisions if decisions else None


async def specs_with_runs(client: Client, since: datetime, limit: int = DEFAULT_LIMIT) -> list[str]:
    """Names of the specs with runs started after ``since`` (from visibility only)."""
    names = set()
    async for execution in client.list_workflows(visibility_query(None, since), limit=limit):
        name = execution.typed_search_attributes.get(SPEC)
        if name:
            names.add(name)
    return sorted(names)
