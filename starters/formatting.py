"""How the commands write values for people: durations, money, times, budgets, the steps table.

Every command formats through here, so a duration, a dollar amount or a budget reads
the same in ``podium status``, ``report``, ``stats``, ``inbox`` and ``validate``:

- durations: ``duration_text`` (seconds), ``ms_text`` (milliseconds, same wording),
  ``latency_text`` (a call's latency, always in ms), ``age_text`` (how long a request waited);
- money: ``usd`` (spend, six decimals), ``usd_or_dash``; limits: ``budget_limit``;
- times: ``when`` (to the second), ``when_minute``;
- a run's limits: ``budget_line``, ``deadline_line``, ``limit_lines``;
- values: ``short`` (one line, cut, control characters escaped);
- the steps table (``steps_table``) with its cells (``step_state``, ``step_agent``,
  ``elapsed_s``, ``progress_text``).

Nothing here does I/O; ``starters.run_view`` prints what this module builds.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from podium.workflows.state import BudgetState, Progress, RunState, StepState
from rich import box
from rich.console import RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

COLUMNS = ("STEP", "STATE", "AGENT", "ATTEMPT", "ELAPSED", "TOKENS", "COST", "PROGRESS")
"""Columns of the steps table (``podium status``, ``run --wait``)."""
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# -- durations ----------------------------------------------------------------------------
def duration_text(seconds: float | None) -> str:
    """``45 ms``, ``12.3 s``, ``3m 05s``, ``2h 03m`` (``-`` when unknown)."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def ms_text(ms: float | None) -> str:
    """Milliseconds as people read them (``1.5 s``): ``duration_text`` of ``ms / 1000``."""
    return duration_text(None if ms is None else ms / 1000)


def latency_text(ms: float | None) -> str:
    """A call's latency (or a step's time in a plain list): ``1234 ms`` (``-`` when unknown)."""
    return "-" if ms is None else f"{ms:.0f} ms"


def age_text(seconds: float) -> str:
    """How long something has waited, in its largest whole unit: ``2d``, ``5h``, ``3m``, ``9s``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


# -- money and times ----------------------------------------------------------------------
def usd(amount: float) -> str:
    """Spend in dollars to the micro-dollar: ``$0.000123``."""
    return f"${amount:.6f}"


def usd_or_dash(amount: float) -> str:
    """``usd(amount)``, or ``-`` for nothing spent (a table cell)."""
    return usd(amount) if amount else "-"


def when(moment: datetime | None) -> str:
    """``2026-11-24 01:02:41 UTC`` (``-`` when unknown)."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def when_minute(moment: datetime) -> str:
    """``2026-11-24 01:02 UTC``: a deadline or a period's start, to the minute."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"


# -- budgets and deadlines ----------------------------------------------------------------
def budget_limit(usd_limit: float | None, tokens: int | None) -> str:
    """A budget's limits as set in the spec: ``$2``, ``5000 tokens`` or ``$2 / 5000 tokens``."""
    parts = [f"${usd_limit:g}" if usd_limit is not None else "", ""]
    if tokens is not None:
        parts[1] = f"{tokens} tokens"
    return " / ".join(x for x in parts if x)


def budget_line(budget: BudgetState) -> str:
    """The run's budget in one line: limits, what happens on exceed, spent, reserved."""
    return (
        f"  budget {budget_limit(budget.usd, budget.tokens)} ({budget.on_exceed} on exceed): "
        f"spent {usd(budget.spent_usd)}, {budget.spent_tokens} tokens in {budget.calls} "
        f"calls; reserved {usd(budget.reserved_usd)}"
        + (f" — exhausted: {budget.exhausted}" if budget.exhausted else "")
    )


def deadline_line(deadline_at: datetime, missed: bool) -> str:
    """The run's deadline in one line, marked when it was missed."""
    return f"  deadline {when(deadline_at)}" + (" — MISSED" if missed else "")


def limit_lines(state: RunState) -> list[str]:
    """The run's priority, budget (spent, reserved, limit) and deadline, when it has them."""
    lines = [f"  {state.priority}"] if state.priority else []
    if state.budget is not None:
        lines.append(budget_line(state.budget))
    if state.deadline_at is not None:
        lines.append(deadline_line(state.deadline_at, state.breached))
    return lines


# -- values -------------------------------------------------------------------------------
def short(value: Any, limit: int = 300) -> str:
    """One-line JSON of ``value``, cut at ``limit`` characters. Control characters (a model's
    answer may hold escape sequences or newlines) are shown escaped, never sent as is."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the steps table ----------------------------------------------------------------------
def step_state(step: StepState, waiting: set[str]) -> str:
    """What the STATE column says: ``waiting`` while a person has to answer for the step."""
    if step.status == "running" and step.id in waiting:
        return "waiting"
    if step.status == "failed" and step.tolerated:
        return "failed (tolerated)"
    return step.status


def step_agent(step: StepState, state: RunState) -> str:
    """Who works on the step: its agent, or the people an approval waits on / who decided."""
    if step.kind == "approval" and not step.agent:
        for request in state.requests:
            if request.step == step.id and request.status == "open":
                return "people: " + (", ".join(request.approvers) or "anyone")
    return step.agent or "-"


def elapsed_s(step: StepState, now: datetime) -> float | None:
    """Seconds the step took, or has been running so far."""
    if step.duration_ms is not None:
        return step.duration_ms / 1000
    if step.status == "running" and step.started_at is not None:
        return max(0.0, (now - step.started_at).total_seconds())
    return None


def progress_text(progress: Progress) -> str:
    """``3/5`` items (or branches) done, and how many failed."""
    text = f"{progress.done}/{progress.total}"
    return text + (f", {progress.failed} failed" if progress.failed else "")


def _progress_cell(progress: Progress | None, tty: bool) -> RenderableType:
    if progress is None:
        return Text("")
    if not tty:  # a bar without colours would not show how far it got
        return Text(progress_text(progress))
    cell = Table.grid(padding=(0, 1))
    bar = ProgressBar(
        total=max(progress.total, 1), completed=progress.done + progress.failed, width=12
    )
    cell.add_row(bar, Text(progress_text(progress)))
    return cell


def steps_table(state: RunState, *, tty: bool = False, now: datetime | None = None) -> Table:
    """One row per tracked step: state, agent, attempt, elapsed, tokens, cost, progress."""
    now = now or datetime.now(UTC)
    waiting = {r.step for r in state.open_requests()}
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for name in COLUMNS:
        right = name in ("ATTEMPT", "ELAPSED", "TOKENS", "COST")
        table.add_column(
            name,
            justify="right" if right else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=36 if name in ("STEP", "AGENT") else None,
        )
    styles = {"completed": "green", "failed": "red", "waiting": "yellow", "running": "cyan"}
    for step in state.steps:
        status = step_state(step, waiting)
        tokens = step.usage.total_tokens
        table.add_row(
            Text(step.id),
            Text(status, style=styles.get(status.split()[0], "dim") if tty else ""),
            Text(step_agent(step, state)),
            Text(str(step.attempts) if step.attempts else "-"),
            Text(duration_text(elapsed_s(step, now))),
            Text(str(tokens) if tokens else "-"),
            Text(usd_or_dash(step.cost_usd)),
            _progress_cell(step.progress, tty),
        )
    return table
