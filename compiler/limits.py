"""Budgets and deadlines of the spec turned into the plan's (already validated) limits."""

from __future__ import annotations

from podium.compiler.spec_limits import DeadlineEntry, HistoryEntry, StepBudgetEntry
from podium.workflows.durations import parse_duration
from podium.workflows.kinds.base import Budget, Deadline, HistoryLimits


def budget(entry: StepBudgetEntry | None) -> Budget | None:
    """The plan's budget from a spec's ``budget:`` (run or step)."""
    return Budget(**entry.model_dump()) if entry is not None else None


def deadline(entry: DeadlineEntry | None) -> Deadline | None:
    """The plan's deadline from a spec's ``deadline:`` (its duration already parses)."""
    if entry is None:
        return None
    return Deadline(
        after_s=parse_duration(entry.after),
        on_breach=entry.on_breach,
        escalate_to=entry.escalate_to,
    )


def history(entry: HistoryEntry | None) -> HistoryLimits:
    """When the run continues as new (defaults unless the spec says ``history:``)."""
    if entry is None:
        return HistoryLimits()
    return HistoryLimits(max_events=entry.max_events, max_bytes=int(entry.max_mb * 1024 * 1024))
