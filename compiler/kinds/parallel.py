"""Compiling a spec step into a ``parallel`` plan node (the node and how it runs:
``workflows/kinds/parallel.py``)."""

from __future__ import annotations

from podium.compiler.spec import StepEntry
from podium.compiler.spec_kinds import QuorumEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.kinds.base import Node
from podium.workflows.kinds.parallel import Branch, ParallelNode


def compile_parallel(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    branches, ok = [], True
    for j, item in enumerate(step.parallel or []):
        seq = item.steps if item.steps is not None else [item]
        nodes, inner_scope = [], scope
        for k, inner in enumerate(seq):
            inner_loc = loc + ("parallel", j) + (("steps", k) if item.steps is not None else ())
            node = c.compile_step(inner, inner_loc, inner_scope, branch=item.steps is None)
            ok &= node is not None
            if node is not None:
                nodes.append(node)
                if node.id in c.graph.named:
                    inner_scope = inner_scope.with_done(c.graph.implied(node.id))
        if nodes:
            branches.append(Branch(id=item.id or nodes[0].id, steps=nodes, on_error=item.on_error))
    if not step.parallel:
        c.report.problem(c.doc, loc + ("parallel",), "parallel: has no branches")
        return None
    join, quorum = (step.join, None) if isinstance(step.join, str) else ("quorum", step.join.quorum)
    if isinstance(step.join, QuorumEntry) and step.join.quorum > len(step.parallel):
        c.report.problem(
            c.doc,
            loc + ("join",),
            f"quorum {step.join.quorum} is more than the {len(step.parallel)} branches",
            "lower the quorum or add branches",
        )
        ok = False
    return ParallelNode(**common, branches=branches, join=join, quorum=quorum) if ok else None
