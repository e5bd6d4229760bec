"""Compiling a spec step into a ``refine`` plan node (the node and how it runs:
``workflows/kinds/refine.py``)."""

from __future__ import annotations

from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.kinds.base import Node
from podium.workflows.kinds.refine import RefineNode


def compile_refine(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    spec = step.refine
    assert spec is not None
    ok = True
    for key in ("until", "max_rounds"):
        if getattr(spec, key) is None:
            c.report.problem(
                c.doc,
                loc + ("refine",),
                f"refine: needs {key}:",
                "until: an expression over vars.review (true = accepted); "
                "max_rounds: how many rounds at most",
            )
            ok = False
    loop = scope.with_vars("round", "feedback", "draft")
    producer = c.compile_step(
        spec.producer, loc + ("refine", "producer"), loop, auto_id=f"{common['id']}_producer"
    )
    reviewer = c.compile_step(
        spec.reviewer, loc + ("refine", "reviewer"), loop, auto_id=f"{common['id']}_reviewer"
    )
    if spec.until is not None:
        ok &= c.graph.expression(
            loc + ("refine", "until"), spec.until, loop.with_vars("review"), common["id"]
        )
    if not ok or producer is None or reviewer is None:
        return None
    return RefineNode(
        **common,
        producer=producer,
        reviewer=reviewer,
        until=spec.until or "",
        max_rounds=spec.max_rounds or 1,
    )
