"""A run report (``starters.run_report.RunReport``) as Markdown, for people and tickets."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from podium.starters.formatting import budget_limit, latency_text, ms_text, short, usd, when
from podium.workflows.state import tries_text, turn_costs_text

if TYPE_CHECKING:
    from podium.starters.run_report import RunReport

CELL_LIMIT = 120
"""Characters of a step's output shown in the steps table."""


def cell(value: Any, limit: int = CELL_LIMIT) -> str:
    """Text safe inside a Markdown table cell (one line, no pipes)."""
    text = "" if value is None else short(value, limit)
    return text.replace("\n", " ").replace("|", "\\|")


def to_markdown(report: RunReport) -> str:
    """Every section of the report, in reading order."""
    lines = [
        f"# Run report: {report.run_id}",
        "",
        f"- **spec** `{report.spec}` · **status** {report.status}"
        + (f" — {report.error}" if report.error else ""),
        f"- **started** {when(report.started_at)} · **finished** {when(report.finished_at)}"
        f" · **took** {ms_text(report.duration_ms)}",
        "",
        "## Input",
        "",
        "```json",
        json.dumps(report.input, indent=2, ensure_ascii=False, default=str),
        "```",
    ]
    if report.status == "completed":
        lines += ["", "## Output", "", "```json"]
        lines += [json.dumps(report.output, indent=2, ensure_ascii=False, default=str), "```"]
    lines += _steps(report) + _tools(report) + _supervision(report)
    lines += _recovery(report) + _people(report)
    lines += _undo_and_flags(report)
    lines += _agents(report) + _totals(report) + _limits(report)
    return "\n".join(lines)


def _limits(report: RunReport) -> list[str]:
    lines = []
    budget = report.budget
    if budget is not None:
        limit = budget_limit(budget.usd, budget.tokens)
        lines += [
            "",
            "## Budget",
            "",
            f"- limit {limit}, on exceed: {budget.on_exceed}",
            f"- spent {usd(budget.spent_usd)} and {budget.spent_tokens} tokens "
            f"in {budget.calls} calls",
        ]
        lines += [f"- {entry}" for entry in budget.history]
        if budget.exhausted:
            lines.append(f"- exhausted: {budget.exhausted}")
    if report.deadline_at is not None:
        missed = " — **missed**" if report.deadline_missed else ""
        lines += ["", "## Deadline", "", f"- {when(report.deadline_at)}{missed}"]
    return lines


def _steps(report: RunReport) -> list[str]:
    lines = [
        "",
        "## Steps",
        "",
        "| step | kind | agent | status | attempts | took | tokens | cost | output |",
        "|---|---|---|---|--:|--:|--:|--:|---|",
    ]
    for step in report.steps:
        took = ms_text(step.duration_ms) + (" **bottleneck**" if step.bottleneck else "")
        if step.status == "completed":
            shown = cell(step.output)
        elif step.error:
            shown = cell(f"✗ {step.error_type}: {step.error}")
        else:
            shown = cell(step.skipped_reason)
        agent = step.agent or "-"
        if step.offline:
            agent += " (offline)"
        lines.append(
            f"| `{step.id}` | {step.kind} | {cell(agent)} | {step.status} | "
            f"{step.attempts or '-'} | {took} | {step.total_tokens} | {usd(step.cost_usd)} | "
            f"{shown} |"
        )
    if report.bottleneck is not None:
        neck = report.bottleneck
        share = f" ({neck.share:.0%} of the run)" if neck.share is not None else ""
        lines += ["", f"**Bottleneck:** `{neck.step}` took {ms_text(neck.duration_ms)}{share}."]
    return lines


def _tools(report: RunReport) -> list[str]:
    """The trajectory of every tool loop: turns and calls (results stay in the history)."""
    rows = []
    for step in report.steps:
        for call in step.tool_calls:
            note = call.error or (f"approved by {call.approved_by}" if call.approved_by else "")
            rows.append(
                f"| `{step.id}` | {call.turn} | {call.tool} | {call.status} | "
                f"{ms_text(call.duration_ms)} | {cell(note)} |"
            )
    if not rows:
        return []
    loops = [
        f"- `{s.id}`: {s.turns} turns"
        + (f" — {turn_costs_text(s.turn_costs)}" if s.turn_costs else "")
        for s in report.steps
        if s.tool_calls
    ]
    head = ["", "## Tool calls", "", *loops, "", "| step | turn | tool | status | took | note |"]
    return head + ["|---|---|---|---|---|---|", *rows]


def _supervision(report: RunReport) -> list[str]:
    """Every supervise step's decisions: who worked on what, why, what deciding cost."""
    rows = []
    for step in report.steps:
        for t in step.supervision:
            outcome = t.error or t.status
            rows.append(
                f"| `{step.id}` | {t.turn} | {t.member} | {cell(short(t.task, 80))} | "
                f"{cell(short(t.reason, 80))} | {cell(short(outcome, 60))} | "
                f"{t.input_tokens + t.output_tokens} | {usd(t.cost_usd)} | "
                f"{usd(t.member_cost_usd)} |"
            )
    if not rows:
        return []
    head = [
        "",
        "## Supervision",
        "",
        "| step | turn | member | task | reason | outcome | manager tokens | manager cost "
        "| member cost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return head + rows


def _recovery(report: RunReport) -> list[str]:
    lines: list[str] = []
    for step in report.steps:
        if step.tried:
            lines.append(f"- `{step.id}`: {tries_text(step.tried)}")
            for t in step.tried:  # every failed attempt, with what the provider said
                lines += [
                    f"  - {t.agent} attempt {n}: {error}" for n, error in enumerate(t.errors, 1)
                ]
                if t.error and not t.errors:
                    lines.append(f"  - {t.agent}: {t.error}")
        if step.assignment:
            lines.append(f"- `{step.id}` assigned: {step.assignment}")
    return ["", "## Retries, fallbacks, repairs and assignments", "", *lines] if lines else []


def _people(report: RunReport) -> list[str]:
    if not report.requests:
        return []
    lines = ["", "## Escalations and decisions", ""]
    for request in report.requests:
        head = f"- `{request.id}` ({request.kind} on `{request.step}`): {request.title}"
        decision = request.decision
        if decision is not None:
            head += (
                f" — **{decision.outcome}** by {decision.by} at {when(decision.at)}"
                f" via {decision.channel} (level {decision.level})"
                + (f": “{decision.comment}”" if decision.comment else "")
            )
        elif request.status == "open":
            head += f" — waiting on {', '.join(request.approvers) or 'anyone'}"
            head += f" until {when(request.deadline)}" if request.deadline else ""
        else:
            head += f" — {request.status}"
        lines.append(head)
        lines += [f"  - {event}" for event in request.history]
    return lines


def _undo_and_flags(report: RunReport) -> list[str]:
    lines: list[str] = []
    if report.compensations:
        lines += ["", "## Compensations", ""]
        lines += [
            f"- `{c.step}` undone by {c.agent}: {c.status}" + (f" ({c.error})" if c.error else "")
            for c in report.compensations
        ]
    if report.flags or report.warnings:
        lines += ["", "## Flags", ""]
        lines += [f"- {flag}" for flag in report.flags]
        lines += [f"- warning: {warning}" for warning in report.warnings]
    return lines


def _agents(report: RunReport) -> list[str]:
    if not report.agents:
        return []
    lines = [
        "",
        "## Agents",
        "",
        "| agent | calls | failed | error rate | errors | tokens | cost | p50 | p95 |",
        "|---|--:|--:|--:|---|--:|--:|--:|--:|",
    ]
    for agent in report.agents:
        errors = ", ".join(f"{name} ×{n}" for name, n in sorted(agent.errors.items())) or "-"
        lines.append(
            f"| {agent.name} | {agent.calls} | {agent.failed} | {agent.error_rate:.0%} | "
            f"{errors} | {agent.total_tokens} | {usd(agent.cost_usd)} | "
            f"{latency_text(agent.p50_latency_ms)} | {latency_text(agent.p95_latency_ms)} |"
        )
    return lines


def _totals(report: RunReport) -> list[str]:
    totals = report.totals
    steps_in = sum(s.input_tokens for s in report.steps)
    steps_out = sum(s.output_tokens for s in report.steps)
    steps_cost = sum(s.cost_usd for s in report.steps)
    lines = [
        "",
        "## Totals",
        "",
        "| | tokens in | tokens out | tokens | cost |",
        "|---|--:|--:|--:|--:|",
        f"| steps | {steps_in} | {steps_out} | {steps_in + steps_out} | {usd(steps_cost)} |",
    ]
    if totals.compensation_tokens or totals.compensation_cost_usd:
        lines.append(
            f"| compensations | | | {totals.compensation_tokens} | "
            f"{usd(totals.compensation_cost_usd)} |"
        )
    lines += [
        f"| **run** | {totals.input_tokens} | {totals.output_tokens} | {totals.total_tokens} | "
        f"{usd(totals.cost_usd)} |",
        "",
        f"{totals.calls} agent calls answered, {totals.failed_calls} failed; "
        f"run took {ms_text(report.duration_ms)}.",
    ]
    return lines
