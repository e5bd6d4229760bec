"""The ``route`` step kind: the value of ``on`` picks a case (or the default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.activities.errors import StepFailed
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import Node, NodeBase, StepKind
from podium.workflows.patterns.route import NoRoute, choose_case
from podium.workflows.run_context import RunContext
from podium.workflows.steps.execute import execute
from podium.workflows.steps.support import evaluate_in, failure

if TYPE_CHECKING:
    pass


class RouteNode(NodeBase):
    """Pick one case by the value of an expression."""

    kind: Literal["route"] = "route"
    on: str
    cases: dict[str, Node]
    default: Node | None = None


class RouteKind(StepKind):
    """``route: {on: <expression>, cases: {value: step}, default: step}``."""

    name = "route"
    node = RouteNode
    shape = "route"
    summary = "the value of an expression picks one case (or the default)"

    def children(self, node: RouteNode) -> list[Any]:
        return [*node.cases.values(), *([node.default] if node.default else [])]

    def label(self, node: RouteNode) -> str:
        default = " (+ default)" if node.default else ""
        return f"route on {node.on}: " + ", ".join(node.cases) + default


async def run_route(node: RouteNode, frame: Frame, ctx: RunContext) -> Any:
    """Run the chosen case; its output is the route's output."""
    value = evaluate_in(node.id, "on", node.on, frame.data)
    try:
        case_name, case = choose_case(value, node.cases, node.default)
    except NoRoute as exc:
        raise failure(
            f"step {node.id!r}: route on {node.on!r}: {exc}",
            StepFailed,
            step=node.id,
            value=value,
        ) from None
    if frame.owner is not None and frame.owns(node.id):
        frame.owner.route_case = case_name
        frame.owner.agent = getattr(getattr(case, "agent", None), "name", "") or frame.owner.agent
    return await execute(case, frame.labelled(f"{node.id} → {case_name}"), ctx)
