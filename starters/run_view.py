"""Showing one run in the terminal: its steps table, once or redrawn while it runs.

Used by ``podium status [--watch]``, ``podium run --wait`` and ``make demo``; the text
of each value comes from ``starters.formatting``, the run from ``starters.runs``. On a
terminal the table is redrawn in place with rich's ``Live``. Written to a pipe or a file
there are no control codes: ``--watch`` prints a plain snapshot each time a step or a
request changes state (not for ticking clocks or token counts), and ``--wait`` prints
the table once, at the end.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, TextIO

from podium.starters.formatting import (
    duration_text,
    latency_text,
    limit_lines,
    short,
    steps_table,
    usd,
)
from podium.starters.runs import FINAL, RunStuck, read_run
from podium.starters.unserved import unserved_lines
from podium.starters.waiting import waiting_lines
from podium.workflows.state import RunResult, RunState, supervision_text, tools_text, tries_text
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text
from temporalio.client import WorkflowHandle

POLL_S = 0.5
PLAIN_WIDTH = 200
"""Width of a table written to a pipe: wide enough that rows never wrap."""


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


def frame(run_id: str, state: RunState, *, tty: bool = False, now: datetime | None = None) -> Group:
    """Header, totals line, steps table and what the run waits for (one redraw)."""
    now = now or datetime.now(UTC)
    finished = sum(1 for s in state.steps if s.status not in ("pending", "running"))
    end = state.finished_at or now
    took = (end - state.started_at).total_seconds() if state.started_at else None
    summary = (
        f"  {finished}/{len(state.steps)} steps finished, elapsed {duration_text(took)}, "
        f"tokens {state.usage.total_tokens}, cost {usd(state.cost_usd)}"
        + (f", running: {', '.join(state.current)}" if state.current else "")
    )
    header = f"{state.spec} run {run_id}: {state.status}" + (
        f" — {state.error}" if state.error else ""
    )
    parts: list[RenderableType] = [Text(header), Text(summary)]
    parts += [Text(line) for line in limit_lines(state)]
    parts.append(steps_table(state, tty=tty, now=now))
    parts += [Text(line) for line in tries_lines(state)]
    parts += [Text(line) for line in tool_lines(state)]
    parts += [Text(line) for line in supervision_lines(state)]
    parts += [Text(line) for line in waiting_lines(state, run_id)]
    return Group(*parts)


def tries_lines(state: RunState) -> list[str]:
    """One line per step that needed retries, repairs or fallbacks: what happened, in
    order (``legal 3× ProviderRateLimited → fall back to legal-backup; legal-backup ok``)."""
    return [f"  tried {step.id}: {tries_text(step.tried)}" for step in state.steps if step.tried]


def tool_lines(state: RunState) -> list[str]:
    """One line per step whose agent called tools."""
    return [
        f"  tools {step.id}: {tools_text(step.turns, step.tool_calls)}"
        for step in state.steps
        if step.tool_calls
    ]


def supervision_lines(state: RunState) -> list[str]:
    """One line per supervise step: its decisions so far."""
    return [
        f"  supervise {step.id}: {supervision_text(step.supervision)}"
        for step in state.steps
        if step.supervision
    ]


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
    elsewhere a plain snapshot is printed whenever a step or request changes state. While
    the workers fail the run's workflow task, why (``RunStuck``) is shown instead.
    """
    if out.isatty():
        with Live(console=console_for(out), refresh_per_second=4, transient=transient) as live:
            while True:
                try:
                    state, _ = await read_run(handle)
                except RunStuck as exc:
                    live.update(Text(str(exc)), refresh=True)
                    await asyncio.sleep(interval_s)
                    continue
                hints = [
                    Text(f"waiting for a worker: {line}") for line in await unserved_lines(handle)
                ]
                live.update(Group(frame(handle.id, state, tty=True), *hints), refresh=True)
                if state.status in FINAL:
                    return state
                await asyncio.sleep(interval_s)
    shown: tuple[Any, ...] | None = None
    while True:
        try:
            state, _ = await read_run(handle)
        except RunStuck as exc:
            if shown != (str(exc),):
                out.write(f"{exc}\n")
                out.flush()
                shown = (str(exc),)
            await asyncio.sleep(interval_s)
            continue
        unserved = await unserved_lines(handle)
        if (signature(state), unserved) != shown:
            if shown is not None:
                out.write("\n")
            show(frame(handle.id, state), out)
            out.writelines(f"waiting for a worker: {line}\n" for line in unserved)
            out.flush()  # a pipe (`| tee log`) sees each snapshot as it happens
            shown = (signature(state), unserved)
        if state.status in FINAL:
            return state
        await asyncio.sleep(interval_s)


# -- a finished run's result (``run --wait``, ``make demo``) ----------------------------
OFFLINE_MARK = "[offline scripted model]"


def print_outputs(state: RunState, out: TextIO) -> None:
    """One line per finished step: its output (``→``) or its error (``✗``).

    A parallel step's output is its branches' outputs, which have their own lines.
    """
    for step in state.steps:
        mark = f" {OFFLINE_MARK}" if step.offline else ""
        if step.status == "completed" and step.kind != "parallel":
            out.write(f"  {step.id:<16}{mark} → {short(step.output)}\n")
        elif step.error:
            out.write(f"  {step.id:<16} ✗ {step.error_type}: {short(step.error, 1000)}\n")


def print_totals(result: RunResult, out: TextIO) -> None:
    """The run's output, token and cost totals, and notes a reader must see."""
    state = result.state
    out.write(f"output: {short(result.output, 2000)}\n")
    out.write(
        f"total: {state.usage.total_tokens} tokens "
        f"({state.usage.input_tokens} in / {state.usage.output_tokens} out), "
        f"{usd(state.cost_usd)}\n"
    )
    if any(s.offline for s in state.steps):
        out.write(f"note: outputs marked {OFFLINE_MARK} are canned, not from a real model\n")
    for warning in state.warnings:
        out.write(f"warning: {warning}\n")


def print_result(result: RunResult, out: TextIO) -> None:
    """The whole result as a plain list (``make demo``): each step with its status, agent,
    model, time, tokens, cost and output, then the totals."""
    for step in result.state.steps:
        label = "offline scripted model" if step.offline else (step.model or "-")
        out.write(
            f"  {step.id:<16} {step.status:<10} {step.agent} [{label}] "
            f"{latency_text(step.duration_ms)}, "
            f"{step.usage.total_tokens} tokens, {usd(step.cost_usd)}\n"
        )
        if step.status == "completed":
            out.write(f"      → {short(step.output)}\n")
        elif step.error:
            out.write(f"      ✗ {step.error_type}: {short(step.error, 1000)}\n")
    print_totals(result, out)
