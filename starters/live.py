"""A run's steps as a table, redrawn while it runs (``podium status --watch``, ``run --wait``).

On a terminal the table is redrawn in place with rich's ``Live``. Written to a pipe or a
file there are no control codes: ``--watch`` prints a plain snapshot each time a step or
a request changes state (not for ticking clocks or token counts), and ``--wait`` prints
the table once, at the end.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from starters.cancellation import cancelled_by
from starters.report import duration_text, print_outputs
from starters.waiting import waiting_lines
from workflows.state import Progress, RunResult, RunState, StepState, tries_text

FINAL = ("completed", "failed", "cancelled")
POLL_S = 0.5
PLAIN_WIDTH = 200
"""Width of a table written to a pipe: wide enough that rows never wrap."""
COLUMNS = ("STEP", "STATE", "AGENT", "ATTEMPT", "ELAPSED", "TOKENS", "COST", "PROGRESS")


class RunNotFound(LookupError):
    """No run with this id in the namespace."""


def console_for(out: TextIO) -> Console:
    """A rich console on ``out``: colours and redraws on a terminal, plain text elsewhere."""
    if out.isatty():
        return Console(file=out, highlight=False)
    return Console(
        file=out,
        force_terminal=False,
        force_interactive=False,
        color_system=None,
        no_color=True,
        width=PLAIN_WIDTH,
        highlight=False,
        emoji=False,
    )


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
            Text(f"${step.cost_usd:.6f}" if step.cost_usd else "-"),
            _progress_cell(step.progress, tty),
        )
    return table


def limit_lines(state: RunState) -> list[str]:
    """The run's budget (spent, reserved, limit) and deadline, when it has them."""
    lines = []
    budget = state.budget
    if budget is not None:
        limits = [f"${budget.usd:g}" if budget.usd is not None else "", ""]
        if budget.tokens is not None:
            limits[1] = f"{budget.tokens} tokens"
        lines.append(
            f"  budget {' / '.join(x for x in limits if x)} ({budget.on_exceed} on exceed): "
            f"spent ${budget.spent_usd:.6f}, {budget.spent_tokens} tokens in {budget.calls} "
            f"calls; reserved ${budget.reserved_usd:.6f}"
            + (f" — exhausted: {budget.exhausted}" if budget.exhausted else "")
        )
    if state.deadline_at is not None:
        lines.append(
            f"  deadline {state.deadline_at:%Y-%m-%d %H:%M:%S} UTC"
            + (" — MISSED" if state.breached else "")
        )
    return lines


def frame(run_id: str, state: RunState, *, tty: bool = False, now: datetime | None = None) -> Group:
    """Header, totals line, steps table and what the run waits for (one redraw)."""
    now = now or datetime.now(UTC)
    finished = sum(1 for s in state.steps if s.status not in ("pending", "running"))
    end = state.finished_at or now
    took = (end - state.started_at).total_seconds() if state.started_at else None
    summary = (
        f"  {finished}/{len(state.steps)} steps finished, elapsed {duration_text(took)}, "
        f"tokens {state.usage.total_tokens}, cost ${state.cost_usd:.6f}"
        + (f", running: {', '.join(state.current)}" if state.current else "")
    )
    header = f"{state.spec} run {run_id}: {state.status}" + (
        f" — {state.error}" if state.error else ""
    )
    parts: list[RenderableType] = [Text(header), Text(summary)]
    parts += [Text(line) for line in limit_lines(state)]
    parts.append(steps_table(state, tty=tty, now=now))
    parts += [Text(line) for line in tries_lines(state)]
    parts += [Text(line) for line in waiting_lines(state, run_id)]
    return Group(*parts)


def tries_lines(state: RunState) -> list[str]:
    """One line per step that needed retries, repairs or fallbacks: what happened, in
    order (``legal 3× ProviderRateLimited → fall back to legal-backup; legal-backup ok``)."""
    return [f"  tried {step.id}: {tries_text(step.tried)}" for step in state.steps if step.tried]


def show(renderable: RenderableType, out: TextIO) -> None:
    """Print once: styled on a terminal; elsewhere plain, without trailing blanks."""
    console = console_for(out)
    if out.isatty():
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    out.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def print_run(run_id: str, state: RunState, out: TextIO) -> None:
    """The whole picture once: table, open requests, outputs, flags, compensations."""
    show(frame(run_id, state, tty=out.isatty()), out)
    print_details(state, out)


def print_details(state: RunState, out: TextIO) -> None:
    """Outputs or errors of finished steps, flags and compensations (below the table)."""
    print_outputs(state, out)
    for flag in state.flags:
        out.write(f"  flag: {flag}\n")
    for undo in state.compensations:
        out.write(
            f"  compensated {undo.step} with {undo.agent}: {undo.status}"
            + (f" ({undo.error})" if undo.error else "")
            + "\n"
        )


async def read_run(handle: WorkflowHandle[Any, Any]) -> tuple[RunState, Any]:
    """``(state, output)`` of a run: from its result once completed, else its ``status`` query.

    Raises:
        RunNotFound: no run has this id.
    """
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise RunNotFound(f"no run {handle.id!r} (unknown workflow id)") from None
        raise
    status = description.status
    if status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()  # read from history: needs no worker
        if not isinstance(result, RunResult):  # a handle made without result_type
            result = RunResult.model_validate(result)
        return result.state, result.output
    state = await handle.query("status", result_type=RunState)
    ended = {
        WorkflowExecutionStatus.TERMINATED: "terminated",
        WorkflowExecutionStatus.TIMED_OUT: "timed out",
        WorkflowExecutionStatus.FAILED: "failed",
        WorkflowExecutionStatus.CANCELED: "cancelled",
        WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued as new",
    }
    if status == WorkflowExecutionStatus.CANCELED:  # whatever the run's own state says
        state.status, state.error = "cancelled", await cancelled_by(handle)
    elif status in ended and state.status not in FINAL:  # stopped from outside Podium
        state.status, state.error = "failed", f"{ended[status]} (by Temporal)"
    if status in ended:
        state.finished_at = state.finished_at or description.close_time
        for step in state.steps:  # nothing runs any more: clocks stop
            if step.status in ("running", "pending"):
                step.status = "cancelled"
                step.finished_at = step.finished_at or description.close_time
        state.current = []
    return state, None


def signature(state: RunState) -> tuple[Any, ...]:
    """What must change for a plain-text watcher to print a new snapshot."""
    return (
        state.status,
        tuple(
            (s.status, s.attempts, s.agent, s.progress and (s.progress.done, s.progress.failed))
            for s in state.steps
        ),
        tuple((r.id, r.status, tuple(r.approvers)) for r in state.requests),
    )


async def watch(
    handle: WorkflowHandle[Any, Any],
    out: TextIO,
    *,
    interval_s: float = POLL_S,
    transient: bool = False,
) -> RunState:
    """Poll the run every ``interval_s`` and show it until it ends; return its final state.

    On a terminal the table is redrawn in place (cleared at the end with ``transient``);
    elsewhere a plain snapshot is printed whenever a step or request changes state.
    """
    if out.isatty():
        with Live(console=console_for(out), refresh_per_second=4, transient=transient) as live:
            while True:
                state, _ = await read_run(handle)
                live.update(frame(handle.id, state, tty=True), refresh=True)
                if state.status in FINAL:
                    return state
                await asyncio.sleep(interval_s)
    shown: tuple[Any, ...] | None = None
    while True:
        state, _ = await read_run(handle)
        if signature(state) != shown:
            if shown is not None:
                out.write("\n")
            show(frame(handle.id, state), out)
            out.flush()  # a pipe (`| tee log`) sees each snapshot as it happens
            shown = signature(state)
        if state.status in FINAL:
            return state
        await asyncio.sleep(interval_s)
