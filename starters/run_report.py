"""A run's final report (``podium report``): what a run did, who did it, what it cost.

The report is built from three sources: the run's input from the first event of its
history (a ``RunInput``), its final state from the result (completed) or the ``status``
query (failed, cancelled or still running), and its start/close times from describe.
The JSON form is a stable object (``"format": "podium.run-report/1"``, documented in
docs/observing.md); fields may be added, never renamed or removed.
``starters.report_markdown`` writes it as Markdown.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from podium.starters.runs import read_run, run_input_of
from podium.workflows.humans import DecisionRecord
from podium.workflows.state import (
    AgentTotals,
    BudgetState,
    CompensationRecord,
    Progress,
    RunResult,
    RunState,
    SuperviseTurn,
    ToolCallRecord,
    TryRecord,
    TurnRecord,
)
from pydantic import BaseModel, Field
from temporalio.client import Client

REPORT_FORMAT = "podium.run-report/1"
OUTPUT_LIMIT = 2000
"""Characters of JSON kept of each step's output; longer outputs become a cut string."""


class StepReport(BaseModel):
    """One step: who did it, how it went, how long it took, what it cost."""

    id: str
    kind: str
    agent: str
    status: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: float | None
    bottleneck: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None
    offline: bool
    output: Any = None
    output_truncated: bool = False
    error_type: str | None = None
    error: str | None = None
    skipped_reason: str | None = None
    progress: Progress | None = None
    assignment: str | None = None
    tried: list[TryRecord] = Field(default_factory=list)
    """Agents tried in order (repair rounds and fallbacks); empty when the first answered."""
    turns: int = 0
    """Model turns of the step's tool loop."""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    turn_costs: list[TurnRecord] = Field(default_factory=list)
    """Per model turn of the tool loop: tokens, the model's cost and the tools' prices."""
    supervision: list[SuperviseTurn] = Field(default_factory=list)
    """A supervise step's decisions."""


class RequestReport(BaseModel):
    """A question put to people (approval or failed step) and its answer."""

    id: str
    kind: str
    step: str
    title: str
    status: str
    approvers: list[str]
    level: int
    opened_at: datetime
    deadline: datetime | None
    decision: DecisionRecord | None
    history: list[str]


class AgentReport(BaseModel):
    """What one agent did across the run."""

    name: str
    calls: int
    failed: int
    error_rate: float
    """failed / (calls + failed)."""
    errors: dict[str, int]
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    p50_latency_ms: float | None
    p95_latency_ms: float | None


class Totals(BaseModel):
    """The run's spend: the sum of its steps plus any compensations' spend."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    failed_calls: int = 0
    compensation_tokens: int = 0
    compensation_cost_usd: float = 0.0


class Bottleneck(BaseModel):
    """The slowest step, and its share of the run's wall-clock time."""

    step: str
    duration_ms: float
    share: float | None


class RunReport(BaseModel):
    """The final report of one run (``podium report --format json``)."""

    format: str = REPORT_FORMAT
    run_id: str
    spec: str
    status: str
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: float | None
    input: dict[str, Any]
    output: Any = None
    steps: list[StepReport]
    bottleneck: Bottleneck | None
    requests: list[RequestReport]
    compensations: list[CompensationRecord]
    flags: list[str]
    warnings: list[str]
    agents: list[AgentReport]
    totals: Totals
    budget: BudgetState | None = None
    """The run budget's limits and final ledger (when the spec set one)."""
    deadline_at: datetime | None = None
    deadline_missed: bool = False


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def cut(value: Any, limit: int = OUTPUT_LIMIT) -> tuple[Any, bool]:
    """``value`` if its JSON fits in ``limit`` characters, else the JSON cut to a string."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return value, False
    return text[: limit - 1] + "…", True


def agent_report(name: str, totals: AgentTotals) -> AgentReport:
    """One agent's row: calls, failures, error rate, tokens, cost, latency percentiles."""
    attempts = totals.calls + totals.failed
    return AgentReport(
        name=name,
        calls=totals.calls,
        failed=totals.failed,
        error_rate=totals.failed / attempts if attempts else 0.0,
        errors=dict(totals.errors),
        input_tokens=totals.input_tokens,
        output_tokens=totals.output_tokens,
        total_tokens=totals.input_tokens + totals.output_tokens,
        cost_usd=totals.cost_usd,
        p50_latency_ms=percentile(totals.latencies_ms, 50),
        p95_latency_ms=percentile(totals.latencies_ms, 95),
    )


def build_report(run_id: str, run_input: dict[str, Any], state: RunState, output: Any) -> RunReport:
    """The report of a run from its input, state and output (no I/O)."""
    steps = []
    for step in state.steps:
        shown, truncated = cut(step.output)
        steps.append(
            StepReport(
                id=step.id,
                kind=step.kind,
                agent=step.agent,
                status=step.status,
                attempts=step.attempts,
                started_at=step.started_at,
                finished_at=step.finished_at,
                duration_ms=step.duration_ms,
                model=step.model,
                offline=step.offline,
                output=shown,
                output_truncated=truncated,
                error_type=step.error_type,
                error=step.error,
                skipped_reason=step.skipped_reason,
                progress=step.progress,
                assignment=step.assignment,
                tried=step.tried,
                turns=step.turns,
                tool_calls=step.tool_calls,
                turn_costs=step.turn_costs,
                supervision=step.supervision,
                input_tokens=step.usage.input_tokens,
                output_tokens=step.usage.output_tokens,
                total_tokens=step.usage.total_tokens,
                cost_usd=step.cost_usd,
            )
        )
    duration_ms = None
    if state.started_at and state.finished_at:
        duration_ms = (state.finished_at - state.started_at).total_seconds() * 1000
    shown_output, _ = cut(output, OUTPUT_LIMIT * 4)
    return RunReport(
        run_id=run_id,
        spec=state.spec,
        status=state.status,
        error=state.error,
        started_at=state.started_at,
        finished_at=state.finished_at,
        duration_ms=duration_ms,
        input=run_input,
        output=shown_output,
        steps=steps,
        bottleneck=_mark_bottleneck(steps, duration_ms),
        requests=[RequestReport.model_validate(r.model_dump()) for r in state.requests],
        compensations=state.compensations,
        flags=state.flags,
        warnings=state.warnings,
        agents=[agent_report(name, t) for name, t in sorted(state.agents.items())],
        totals=_totals(steps, state),
        budget=state.budget,
        deadline_at=state.deadline_at,
        deadline_missed=state.breached,
    )


def _mark_bottleneck(steps: list[StepReport], run_ms: float | None) -> Bottleneck | None:
    # A parallel step's time is its branches' time: the slowest branch is the bottleneck.
    timed = [s for s in steps if s.duration_ms is not None and s.kind != "parallel"]
    if not timed:
        return None
    slowest = max(timed, key=lambda s: s.duration_ms or 0.0)
    slowest.bottleneck = True
    assert slowest.duration_ms is not None
    share = slowest.duration_ms / run_ms if run_ms else None
    return Bottleneck(step=slowest.id, duration_ms=slowest.duration_ms, share=share)


def _totals(steps: list[StepReport], state: RunState) -> Totals:
    """Sum of the steps; compensations are charged to the run only, so add the rest."""
    tokens_in = sum(s.input_tokens for s in steps)
    tokens_out = sum(s.output_tokens for s in steps)
    cost = round(sum(s.cost_usd for s in steps), 8)
    extra_in = max(0, state.usage.input_tokens - tokens_in)
    extra_out = max(0, state.usage.output_tokens - tokens_out)
    extra_cost = max(0.0, round(state.cost_usd - cost, 8))
    return Totals(
        input_tokens=tokens_in + extra_in,
        output_tokens=tokens_out + extra_out,
        total_tokens=tokens_in + tokens_out + extra_in + extra_out,
        cost_usd=round(cost + extra_cost, 8),
        calls=sum(a.calls for a in state.agents.values()),
        failed_calls=sum(a.failed for a in state.agents.values()),
        compensation_tokens=extra_in + extra_out,
        compensation_cost_usd=extra_cost,
    )


async def gather(client: Client, run_id: str) -> RunReport:
    """Read a run (input, state, output) and build its report.

    Raises:
        RunNotFound: no run has this id.
    """
    handle = client.get_workflow_handle(run_id, result_type=RunResult)
    state, output = await read_run(handle)
    return build_report(run_id, await run_input_of(client, handle), state, output)


def to_json(report: RunReport) -> str:
    """The report as indented JSON."""
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False)
