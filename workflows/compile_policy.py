"""The catalog's ``policy:`` — rules a spec must follow whoever wrote it (a person, or
the planner agent of ``podium plan``): a ceiling on the run's budget, and an approval
before every top-level step that calls an agent with side effects."""

from __future__ import annotations

from podium.activities.contracts import AgentConfig
from podium.workflows.catalog import PolicyEntry
from podium.workflows.kinds.base import Node, walk
from podium.workflows.problems import Reporter
from podium.workflows.spec import SpecFile
from podium.workflows.yamlfile import YamlDocument


def check_policies(
    report: Reporter,
    doc: YamlDocument,
    spec: SpecFile,
    steps: list[Node],
    policies: list[tuple[PolicyEntry, YamlDocument]],
) -> None:
    """Record a problem for every rule of every catalog policy the spec breaks."""
    for policy, catalog in policies:
        _budget(report, doc, spec, policy, catalog.path.name)
        if policy.approve_side_effects:
            _approvals(report, doc, steps, catalog.path.name)


def _budget(
    report: Reporter, doc: YamlDocument, spec: SpecFile, policy: PolicyEntry, catalog: str
) -> None:
    budget = spec.budget
    for measure, ceiling, unit in (
        ("usd", policy.max_budget_usd, "$"),
        ("tokens", policy.max_budget_tokens, ""),
    ):
        if ceiling is None:
            continue
        value = getattr(budget, measure) if budget is not None else None
        limit = f"{unit}{ceiling:g}" if unit else f"{ceiling:,} tokens"
        if value is None:
            report.problem(
                doc,
                ("budget",) if budget is not None else (),
                f"catalog {catalog} caps a run's budget at {limit} (policy: max_budget_"
                f"{measure}), and this spec sets no budget {measure}",
                f"add budget: {{{measure}: <at most {ceiling:g}>}}",
            )
        elif value > ceiling:
            report.problem(
                doc,
                ("budget", measure),
                f"budget {measure} {value:g} is above the {limit} that catalog {catalog} "
                f"allows (policy: max_budget_{measure})",
                f"lower it to at most {ceiling:g}, or ask whoever owns {catalog} to raise it",
            )


def _approvals(report: Reporter, doc: YamlDocument, steps: list[Node], catalog: str) -> None:
    needs = {n.id: set(n.needs) for n in steps}
    approvals = {n.id for n in steps if n.kind == "approval"}

    def before(step_id: str, seen: set[str]) -> set[str]:
        for dep in needs.get(step_id, set()) - seen:
            seen.add(dep)
            before(dep, seen)
        return seen

    for i, top in enumerate(steps):
        if before(top.id, set()) & approvals:
            continue
        for node in walk([top]):
            agents = [getattr(node, "agent", None), *getattr(node, "candidates", [])]
            risky = next((a for a in agents if isinstance(a, AgentConfig) and a.side_effects), None)
            if risky is None or getattr(node, "compensate", None) is not None:
                continue
            report.problem(
                doc,
                ("steps", i),
                f"step {node.id!r} calls agent {risky.name!r}, which has side effects, and no "
                f"approval step comes before it (catalog {catalog}, policy: "
                "approve_side_effects)",
                "add an approval: step that this step needs (directly or through the steps "
                "before it), or a compensate: that undoes it",
            )
