"""Limits on what a spec may ask for — how many steps, how deep, how much text, how urgent
— from the catalog's ``policy:`` (defaults when no catalog sets one).

Checked on the parsed spec before any step is compiled, so an oversized draft (a
5,000-step plan, a megabyte-long title, a run that pushes itself to the front of every
queue) is refused at once, with the limit and where it is set."""

from __future__ import annotations

from typing import Any

from podium.compiler.catalog_policy import PolicyEntry
from podium.compiler.problems import Reporter
from podium.compiler.spec import SpecFile, StepEntry
from podium.compiler.yamlfile import Loc, YamlDocument
from pydantic import BaseModel


def check_size(
    report: Reporter,
    doc: YamlDocument,
    spec: SpecFile,
    policies: list[tuple[PolicyEntry, YamlDocument]],
) -> bool:
    """Record a problem for every limit the spec goes past; False if it went past one."""
    before = len(report.problems)
    rules: list[tuple[PolicyEntry, YamlDocument | None]] = [*policies] or [(PolicyEntry(), None)]
    steps = list(_steps(spec.steps, ("steps",), 1))
    depth = max((d for _, d in steps), default=0)
    for policy, catalog in rules:
        where = f"catalog {catalog.path.name}'s policy" if catalog is not None else "the default"
        owner = (
            f"ask whoever owns {catalog.path.name} to raise policy: "
            if catalog is not None
            else "set a larger one in the agent catalog's policy: "
        )

        def fix(name: str) -> str:
            return owner + name  # noqa: B023 - used in this iteration only

        if len(steps) > policy.max_steps:
            report.problem(
                doc,
                ("steps",),
                f"the spec has {len(steps)} steps (nested ones included); {where} allows "
                f"at most {policy.max_steps}",
                "split it into sub-workflows (workflow: other.yaml), or " + fix("max_steps"),
            )
        if depth > policy.max_depth:
            loc = next(loc for loc, d in steps if d == depth)
            report.problem(
                doc,
                loc,
                f"steps are nested {depth} deep here; {where} allows at most {policy.max_depth}",
                "flatten it, or move the inner part into a sub-workflow, or " + fix("max_depth"),
            )
        for loc, length in _long_texts(doc.data, (), policy.max_text_chars):
            report.problem(
                doc,
                loc,
                f"this text is {length:,} characters long; {where} allows at most "
                f"{policy.max_text_chars:,}",
                "pass long documents in the run input (or by reference), not in the spec, or "
                + fix("max_text_chars"),
            )
        priority = spec.priority
        if priority is not None and priority.key is not None:
            if priority.key < policy.highest_priority:
                report.problem(
                    doc,
                    ("priority", "key"),
                    f"priority key {priority.key} is more urgent than {where} allows "
                    f"(highest: {policy.highest_priority})",
                    f"use {policy.highest_priority} or more (5 is last); a person can still "
                    "start a run with --priority, or " + fix("highest_priority"),
                )
        if priority is not None and priority.weight is not None:
            if priority.weight > policy.max_fairness_weight:
                report.problem(
                    doc,
                    ("priority", "weight"),
                    f"fairness weight {priority.weight:g} is above the "
                    f"{policy.max_fairness_weight:g} that {where} allows",
                    f"use at most {policy.max_fairness_weight:g}, or " + fix("max_fairness_weight"),
                )
    return len(report.problems) == before


def _steps(steps: list[StepEntry], loc: Loc, depth: int) -> Any:
    """(place, depth) of every step, nested ones included (not sub-workflows')."""
    for i, step in enumerate(steps):
        yield from _walk(step, (*loc, i), depth)


def _walk(step: StepEntry, loc: Loc, depth: int) -> Any:
    yield loc, depth
    for field in type(step).model_fields:
        for rel, inner in _inside(getattr(step, field), (field,)):
            yield from _walk(inner, (*loc, *rel), depth + 1)


def _inside(value: Any, loc: Loc) -> Any:
    """(relative place, step) of every step held in ``value``."""
    if isinstance(value, StepEntry):
        yield loc, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _inside(item, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _inside(item, (*loc, key))
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            yield from _inside(getattr(value, field), (*loc, field))


def _long_texts(data: Any, loc: Loc, limit: int) -> Any:
    """(place, length) of every string longer than ``limit`` in the spec's YAML."""
    if isinstance(data, str):
        if len(data) > limit:
            yield loc, len(data)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _long_texts(value, (*loc, key), limit)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _long_texts(value, (*loc, i), limit)
