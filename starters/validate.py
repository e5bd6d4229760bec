"""``podium validate SPEC``: compile only; print OK or every problem."""

from __future__ import annotations

import sys

from workflows.compiler import compile_spec
from workflows.durations import format_duration
from workflows.plan import Plan
from workflows.problems import CompileError


def compile_or_report(spec: str, offline: bool | None = None) -> Plan | None:
    """The compiled plan, or None after printing every problem to stderr."""
    try:
        return compile_spec(spec, offline=offline)
    except CompileError as exc:
        print(f"{spec}: invalid\n{exc}", file=sys.stderr)
        return None


def main(spec: str, offline: bool | None = None) -> int:
    """Compile ``spec``; return 0 if it is valid, 1 otherwise."""
    plan = compile_or_report(spec, offline)
    if plan is None:
        return 1
    agents = ", ".join(plan.agents_used())
    print(f"{spec}: OK — spec {plan.name!r}, {len(plan.steps)} steps, agents: {agents}")
    if plan.budget is not None:
        limits = [f"${plan.budget.usd:g}" if plan.budget.usd is not None else ""]
        limits.append(f"{plan.budget.tokens} tokens" if plan.budget.tokens is not None else "")
        print(f"budget: {' / '.join(x for x in limits if x)}, on exceed {plan.budget.on_exceed}")
    if plan.deadline is not None:
        after = format_duration(plan.deadline.after_s)
        print(f"deadline: {after} after the start, on breach {plan.deadline.on_breach}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    return 0
