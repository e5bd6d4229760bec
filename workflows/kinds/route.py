"""The ``route`` step kind: the value of ``on`` picks a case (or the default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from podium.activities.errors import StepFailed
    from podium.workflows.frame import Frame
    from podium.workflows.kinds.base import Node, NodeBase, StepKind, register
    from podium.workflows.run_context import RunContext

from podium.workflows.patterns.route import NoRoute, choose_case
from podium.workflows.spec import StepEntry
from podium.workflows.steps.execute import execute
from podium.workflows.steps.support import evaluate_in, failure

if TYPE_CHECKING:
    from podium.workflows.compile_steps import StepCompiler
    from podium.workflows.graph import Graph
    from podium.workflows.step_graph import Scope
    from podium.workflows.yamlfile import Loc


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

    def draw(
        self, graph: Graph, node: RouteNode, exits: dict[str, str], prefix: str
    ) -> tuple[str, str]:
        from podium.workflows.graph import box_key, draw_node, tags

        key = box_key(prefix + node.id)
        entry = graph.add(key, f"{node.id}: route on {node.on}{tags(node)}", "route")
        exit_ = graph.add(key + "_merge", f"{node.id} answered", "merge")
        cases = [*node.cases.items(), *([("default", node.default)] if node.default else [])]
        for value, case in cases:
            c_in, c_out = draw_node(graph, case, exits, prefix + node.id + "_")
            graph.link(entry, c_in, value)
            graph.link(c_out, exit_)
        return entry, exit_


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


# -- compiling a spec step into this kind's node ----------------------------------------
def compile_route(
    c: StepCompiler, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    spec = step.route
    assert spec is not None
    ok = c.graph.expression(loc + ("route", "on"), spec.on, scope, common["id"])
    if not spec.cases:
        c.report.problem(
            c.doc,
            loc + ("route",),
            "route: has no cases",
            "add cases: {<value>: {agent: <name>}, …} (and a default:)",
        )
        return None
    cases = {}
    for value, case in spec.cases.items():
        node = c.compile_step(
            case, loc + ("route", "cases", value), scope, auto_id=f"{common['id']}_{value}"
        )
        ok &= node is not None
        if node is not None:
            cases[value] = node
    default = None
    if spec.default is not None:
        default = c.compile_step(
            spec.default, loc + ("route", "default"), scope, auto_id=f"{common['id']}_default"
        )
        ok &= default is not None
    return RouteNode(**common, on=spec.on, cases=cases, default=default) if ok else None


register(RouteKind(run=run_route, build=compile_route))
