"""Compiling what asks people: approval steps, and who decides escalations.

Errors are what can never work (an approver named ""); warnings what runs but is
likely not what was meant (``approvers: []`` lets anyone decide; ``escalate_to``
without anything that escalates is never used).
"""

from __future__ import annotations

from typing import Any

from podium.compiler.problems import Reporter
from podium.compiler.spec import SpecFile, StepEntry
from podium.compiler.yamlfile import Loc, YamlDocument

ANYONE = "anyone who can reach the run (podium approve, the Temporal CLI or UI) may decide"


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
    check_names(report, doc, loc, names)
    if names and not escalates:
        report.warn(doc, loc, f"escalate_to: is never used: {why_unused}", fix)


def check_names(report: Reporter, doc: YamlDocument, loc: Loc, names: list[str]) -> bool:
    """Every name is a real name (not empty); problems recorded; whether all are."""
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
