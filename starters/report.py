"""Printing a run's result for people: each step's output, tokens, cost, links."""

from __future__ import annotations

import json
from typing import Any, TextIO

from workflows.state import RunResult, RunState


def short(value: Any, limit: int = 300) -> str:
    """One-line JSON of ``value``, cut at ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
            out.write(f"      ✗ {step.error_type}: {step.error}\n")


def print_result(result: RunResult, out: TextIO) -> None:
    """The whole result: steps, output, totals, warnings."""
    state = result.state
    print_state(state, out)
    out.write(f"output: {short(result.output, 2000)}\n")
    out.write(
        f"total: {state.usage.total_tokens} tokens "
        f"({state.usage.input_tokens} in / {state.usage.output_tokens} out), "
        f"${state.cost_usd:.6f}\n"
    )
    if any(s.offline for s in state.steps):
        out.write(
            "note: outputs marked [offline scripted model] are canned, not from a real model\n"
        )
    for warning in state.warnings:
        out.write(f"warning: {warning}\n")
