"""Printing a run's result for people: each step's output, tokens, cost, links."""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from workflows.state import RunResult, RunState

OFFLINE_MARK = "[offline scripted model]"


def short(value: Any, limit: int = 300) -> str:
    """One-line JSON of ``value``, cut at ``limit`` characters. Control characters (a model's
    answer may hold escape sequences or newlines) are shown escaped, never sent as is."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def print_state(state: RunState, out: TextIO) -> None:
    """Steps with status, agent, model, timing, tokens, cost and output."""
    for step in state.steps:
        label = "offline scripted model" if step.offline else (step.model or "-")
        timing = f"{step.duration_ms:.0f} ms" if step.duration_ms is not None else "-"
        out.write(
            f"  {step.id:<16} {step.status:<10} {step.agent} [{label}] {timing}, "
            f"{step.usage.total_tokens} tokens, ${step.cost_usd:.6f}\n"
        )
        if step.status == "completed":
            out.write(f"      → {short(step.output)}\n")
        elif step.error:
            out.write(f"      ✗ {step.error_type}: {short(step.error, 1000)}\n")


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
        f"${state.cost_usd:.6f}\n"
    )
    if any(s.offline for s in state.steps):
        out.write(f"note: outputs marked {OFFLINE_MARK} are canned, not from a real model\n")
    for warning in state.warnings:
        out.write(f"warning: {warning}\n")


def print_result(result: RunResult, out: TextIO) -> None:
    """The whole result: steps, output, totals, warnings."""
    print_state(result.state, out)
    print_totals(result, out)
