"""``podium validate SPEC``: compile only; print OK or every problem."""

from __future__ import annotations

import sys

from workflows.compiler import compile_spec
from workflows.problems import CompileError


def main(spec: str, offline: bool | None = None) -> int:
    """Compile ``spec``; return 0 if it is valid, 1 otherwise."""
    try:
        plan = compile_spec(spec, offline=offline)
    except CompileError as exc:
        print(f"{spec}: invalid\n{exc}", file=sys.stderr)
        return 1
    agents = ", ".join(plan.agents_used())
    print(f"{spec}: OK — spec {plan.name!r}, {len(plan.steps)} steps, agents: {agents}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    return 0
