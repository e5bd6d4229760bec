"""Executor of route steps: the value of ``on`` picks a case (or the default)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.errors import StepFailed
    from workflows.plan import RouteNode
    from workflows.state import StepState

from workflows.patterns.route import NoRoute, choose_case
from workflows.steps.execute import Ctx, evaluate_in, execute, executor, failure


@executor("route")
async def run_route(
    node: RouteNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Run the chosen case; its output is the route's output."""
    value = evaluate_in(node.id, "on", node.on, scope)
    try:
        case_name, case = choose_case(value, node.cases, node.default)
    except NoRoute as exc:
        raise failure(
            f"step {node.id!r}: route on {node.on!r}: {exc}",
            StepFailed,
            step=node.id,
            value=value,
        ) from None
    if owner is not None and owner.id == node.id:
        owner.route_case = case_name
        owner.agent = getattr(getattr(case, "agent", None), "name", "") or owner.agent
    return await execute(case, {**scope, "_label": f"{node.id} → {case_name}"}, ctx, owner)
