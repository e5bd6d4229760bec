"""Compiling a spec step into a ``workflow`` plan node (the node and how it runs:
``workflows/kinds/workflow.py``)."""

from __future__ import annotations

from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.kinds.base import Node
from podium.workflows.kinds.workflow import WorkflowNode


def compile_workflow(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    plan = c.compile_child(c.doc, loc + ("workflow",), step.workflow or "")
    inputs = c.graph.inputs(step, loc, scope, common["id"])
    if plan is None or inputs is None:
        return None
    return WorkflowNode(**common, plan=plan, inputs=inputs)
