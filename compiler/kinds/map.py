"""Compiling a spec step into a ``map`` plan node (the node and how it runs:
``workflows/kinds/map.py``)."""

from __future__ import annotations

from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import NAME, Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.kinds.base import Node, asks_people
from podium.workflows.kinds.map import INLINE_ALWAYS, MapNode


def compile_map(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    spec = step.map
    assert spec is not None
    ok = c.graph.expression(loc + ("map", "over"), spec.over, scope, common["id"])
    if not NAME.match(spec.as_):
        c.report.problem(c.doc, loc + ("map", "as"), f"as: {spec.as_!r} is not a plain name")
        ok = False
    if step.step is None:
        c.report.problem(
            c.doc,
            loc,
            "map: needs step: (the step to run for each item)",
            "add step: {agent: <name>, with: {item: vars.<as>}}",
        )
        return None
    template = c.compile_step(
        step.step,
        loc + ("step",),
        scope.with_vars(spec.as_, "index"),
        auto_id=f"{common['id']}_item",
    )
    if template is None or not ok:
        return None
    return MapNode(
        **common,
        over=spec.over,
        as_=spec.as_,
        template=template,
        max_concurrency=spec.max_concurrency,
        # Items that may wait for people run inline: a batch child workflow has no
        # decide Update, signal or status query, so nobody could answer them there.
        batch_size=INLINE_ALWAYS if asks_people(template) else spec.batch_size,
    )
