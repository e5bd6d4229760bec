"""Compiling a spec step into a ``approval`` plan node (the node and how it runs:
``workflows/kinds/approval.py``)."""

from __future__ import annotations

from typing import Any

from podium.compiler.humans import ANYONE, check_names
from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.templates import check_template
from podium.compiler.yamlfile import Loc
from podium.workflows.durations import parse_duration
from podium.workflows.expressions import ROOTS
from podium.workflows.kinds.approval import ApprovalNode, EscalationLevel
from podium.workflows.kinds.base import Node


def compile_approval(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict[str, Any]
) -> Node | None:
    """The plan node of an approval step (None, with problems recorded, if it is wrong)."""
    report, doc, graph = c.report, c.doc, c.graph
    spec = step.approval
    assert spec is not None
    where = loc + ("approval",)
    ok = check_template(
        report,
        doc,
        where + ("title",),
        spec.title,
        roots=ROOTS,
        graph=graph,
        scope=scope,
        current=common["id"],
    )
    if spec.details is not None:
        ok &= graph.expression(where + ("details",), spec.details, scope, common["id"])
    ok &= check_names(report, doc, where + ("approvers",), spec.approvers)
    for i, level in enumerate(spec.escalate):
        ok &= check_names(report, doc, where + ("escalate", i, "to"), level.to)
    if "approvers" in spec.model_fields_set and not spec.approvers:
        report.warn(
            doc,
            where + ("approvers",),
            f"approvers: [] is empty, so {ANYONE}",
            "list who may decide, e.g. approvers: [deal-desk]; leave the key out if anyone "
            "may really decide",
        )
    if not ok:
        return None
    return ApprovalNode(
        **common,
        title=spec.title,
        details=spec.details,
        approvers=spec.approvers,
        escalate=[EscalationLevel(to=e.to, after_s=parse_duration(e.after)) for e in spec.escalate],
        on_timeout=spec.on_timeout,
        timeout_s=parse_duration(spec.timeout) if spec.timeout else None,
    )
