"""``podium validate SPEC``: compile only; print OK or every problem."""

from __future__ import annotations

import sys

from workflows.compiler import compile_spec
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
    for warning in plan.warnings:
        print(f"warning: {warning}")
    return 0
