"""Compiling a spec step into a ``route`` plan node (the node and how it runs:
``workflows/kinds/route.py``)."""

from __future__ import annotations

from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.kinds.base import Node
from podium.workflows.kinds.route import RouteNode


def compile_route(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
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
