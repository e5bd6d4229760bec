"""Compiling what asks people: approval steps, and who decides escalations.

Errors are what can never work (an approver named ""); warnings what runs but is
likely not what was meant (``approvers: []`` lets anyone decide; ``escalate_to``
without anything that escalates is never used).
"""

from __future__ import annotations

from typing import Any

from workflows.compile_templates import check_template
from workflows.durations import parse_duration
from workflows.expressions import ROOTS
from workflows.kinds.approval import ApprovalNode, EscalationLevel
from workflows.kinds.base import Node
from workflows.problems import Reporter
from workflows.spec import SpecFile, StepEntry
from workflows.step_graph import Scope, StepGraph
from workflows.yamlfile import Loc, YamlDocument

ANYONE = "anyone who can reach the run (podium approve, the Temporal CLI or UI) may decide"


def approval_node(
    report: Reporter,
    doc: YamlDocument,
    graph: StepGraph,
    step: StepEntry,
    loc: Loc,
    scope: Scope,
    common: dict[str, Any],
) -> Node | None:
    """The plan node of an approval step (None, with problems recorded, if it is wrong)."""
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
    ok &= _names(report, doc, where + ("approvers",), spec.approvers)
    for i, level in enumerate(spec.escalate):
        ok &= _names(report, doc, where + ("escalate", i, "to"), level.to)
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


def check_people(report: Reporter, doc: YamlDocument, loc: Loc, step: StepEntry) -> None:
    """Who decides a step's escalations: named properly, and only where something escalates."""
    _escalation(
        report,
        doc,
        loc + ("escalate_to",),
        step.escalate_to,
        step.on_error == "escalate",
        f"this step does not escalate (on_error is {step.on_error!r})",
        "add on_error: escalate to hand its failure to these people, or remove escalate_to:",
    )
    if step.deadline is not None:
        _deadline(report, doc, loc + ("deadline",), step.deadline)


def check_run_people(report: Reporter, doc: YamlDocument, spec: SpecFile) -> None:
    """The run budget's and deadline's ``escalate_to``."""
    if spec.budget is not None:
        loc: Loc = ("budget", "escalate_to")
        _escalation(
            report,
            doc,
            loc,
            spec.budget.escalate_to,
            spec.budget.on_exceed == "escalate",
            f"the budget does not escalate (on_exceed is {spec.budget.on_exceed!r})",
            "add on_exceed: escalate, or remove escalate_to:",
        )
        if "escalate_to" in spec.budget.model_fields_set and not spec.budget.escalate_to:
            report.warn(doc, loc, f"escalate_to: [] is empty, so {ANYONE}", "list who decides")
    if spec.deadline is not None:
        _deadline(report, doc, ("deadline",), spec.deadline)


def _deadline(report: Reporter, doc: YamlDocument, loc: Loc, entry: Any) -> None:
    _escalation(
        report,
        doc,
        loc + ("escalate_to",),
        entry.escalate_to,
        entry.on_breach == "escalate",
        f"the deadline does not escalate (on_breach is {entry.on_breach!r})",
        "add on_breach: escalate, or remove escalate_to:",
    )


def _escalation(
    report: Reporter,
    doc: YamlDocument,
    loc: Loc,
    names: list[str],
    escalates: bool,
    why_unused: str,
    fix: str,
) -> None:
    """``escalate_to`` names people properly, and a warning when nothing escalates to them."""
    _names(report, doc, loc, names)
    if names and not escalates:
        report.warn(doc, loc, f"escalate_to: is never used: {why_unused}", fix)


def _names(report: Reporter, doc: YamlDocument, loc: Loc, names: list[str]) -> bool:
    ok = True
    for i, name in enumerate(names):
        if not name.strip():
            report.problem(
                doc,
                loc + (i,),
                "an empty name can never decide (nobody is called '')",
                "write the person's or group's name, or remove the entry",
            )
            ok = False
    return ok
