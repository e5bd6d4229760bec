"""A run report (``starters.final_report.RunReport``) as Markdown, for people and tickets."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starters.report import duration_text, short
from workflows.state import tries_text

if TYPE_CHECKING:
    from starters.final_report import RunReport

CELL_LIMIT = 120
"""Characters of a step's output shown in the steps table."""


def cell(value: Any, limit: int = CELL_LIMIT) -> str:
    """Text safe inside a Markdown table cell (one line, no pipes)."""
    text = "" if value is None else short(value, limit)
    return text.replace("\n", " ").replace("|", "\\|")


def when(moment: datetime | None) -> str:
    """``2026-11-24 01:02:41 UTC`` (``-`` when unknown)."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def seconds(ms: float | None) -> str:
    """Milliseconds as people read them (``1.5 s``)."""
    return duration_text(None if ms is None else ms / 1000)


def to_markdown(report: RunReport) -> str:
    """Every section of the report, in reading order."""
    lines = [
        f"# Run report: {report.run_id}",
        "",
        f"- **spec** `{report.spec}` · **status** {report.status}"
        + (f" — {report.error}" if report.error else ""),
        f"- **started** {when(report.started_at)} · **finished** {when(report.finished_at)}"
        f" · **took** {seconds(report.duration_ms)}",
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
    lines += _steps(report) + _recovery(report) + _people(report) + _undo_and_flags(report)
    lines += _agents(report) + _totals(report) + _limits(report)
    return "\n".join(lines)


def _limits(report: RunReport) -> list[str]:
    lines = []
    budget = report.budget
    if budget is not None:
        limit = " / ".join(
            x
            for x in (
                f"${budget.usd:g}" if budget.usd is not None else "",
                f"{budget.tokens} tokens" if budget.tokens is not None else "",
            )
            if x
        )
        lines += [
            "",
            "## Budget",
            "",
            f"- limit {limit}, on exceed: {budget.on_exceed}",
            f"- spent ${budget.spent_usd:.6f} and {budget.spent_tokens} tokens "
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
        took = seconds(step.duration_ms) + (" **bottleneck**" if step.bottleneck else "")
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
            f"{step.attempts or '-'} | {took} | {step.total_tokens} | ${step.cost_usd:.6f} | "
            f"{shown} |"
        )
    if report.bottleneck is not None:
        neck = report.bottleneck
        share = f" ({neck.share:.0%} of the run)" if neck.share is not None else ""
        lines += ["", f"**Bottleneck:** `{neck.step}` took {seconds(neck.duration_ms)}{share}."]
    return lines


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
            f"{errors} | {agent.total_tokens} | ${agent.cost_usd:.6f} | "
            f"{_ms(agent.p50_latency_ms)} | {_ms(agent.p95_latency_ms)} |"
        )
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


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
        f"| steps | {steps_in} | {steps_out} | {steps_in + steps_out} | ${steps_cost:.6f} |",
    ]
    if totals.compensation_tokens or totals.compensation_cost_usd:
        lines.append(
            f"| compensations | | | {totals.compensation_tokens} | "
            f"${totals.compensation_cost_usd:.6f} |"
        )
    lines += [
        f"| **run** | {totals.input_tokens} | {totals.output_tokens} | {totals.total_tokens} | "
        f"${totals.cost_usd:.6f} |",
        "",
        f"{totals.calls} agent calls answered, {totals.failed_calls} failed; "
        f"run took {seconds(report.duration_ms)}.",
    ]
    return lines
