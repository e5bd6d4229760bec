"""``podium validate SPEC``: compile only; print OK or every problem."""

from __future__ import annotations

from podium.starters import exit_codes
from podium.starters.compiling import compile_or_report
from podium.starters.formatting import budget_limit
from podium.workflows.durations import format_duration


def main(spec: str, offline: bool | None = None) -> int:
    """Compile ``spec``; return 0 if it is valid, 2 (bad input, as for ``podium run``)
    otherwise."""
    plan = compile_or_report(spec, offline)
    if plan is None:
        return exit_codes.USAGE
    agents = ", ".join(plan.agents_used())
    print(f"{spec}: OK — spec {plan.name!r}, {len(plan.steps)} steps, agents: {agents}")
    if plan.budget is not None:
        limit = budget_limit(plan.budget.usd, plan.budget.tokens)
        print(f"budget: {limit}, on exceed {plan.budget.on_exceed}")
    if plan.deadline is not None:
        after = format_duration(plan.deadline.after_s)
        print(f"deadline: {after} after the start, on breach {plan.deadline.on_breach}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    return 0
