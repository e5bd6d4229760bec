"""The catalog's ``policy:`` — rules a spec must follow whoever wrote it (a person, or
the planner agent of ``podium plan``): a ceiling on the run's budget, and an approval that
gates every top-level step calling an agent with side effects."""

from __future__ import annotations

from typing import Any

from podium.activities.contracts import AgentConfig
from podium.workflows.catalog import PolicyEntry
from podium.workflows.expressions import references
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
    """Record a problem for every rule of every catalog policy the spec breaks (the
    steps of its sub-workflows included: a child spec cannot carry what its parent may
    not)."""
    for policy, catalog in policies:
        _budget(report, doc, spec, policy, catalog.path.name)
        if policy.approve_side_effects:
            _approvals(report, doc, steps, catalog.path.name, (), None)


def agents_of(node: Any) -> list[AgentConfig]:
    """Every agent a node may call: the agent, its fallbacks, a capability's candidates."""
    found = [
        getattr(node, "agent", None),
        *getattr(node, "fallbacks", []),
        *getattr(node, "candidates", []),
    ]
    return [a for a in found if isinstance(a, AgentConfig)]


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


def _approvals(
    report: Reporter,
    doc: YamlDocument,
    steps: list[Node],
    catalog: str,
    via: tuple[str, ...],
    at: tuple[Any, ...] | None,
) -> None:
    """Each top-level step that may call a side-effecting agent (with no ``compensate:``)
    must be gated by an approval: its ``when:`` reads ``steps.<approval>.output`` of an
    approval step that does not approve by itself on timeout (a rejected or skipped
    approval then skips the step)."""
    gates = {
        n.id for n in steps if n.kind == "approval" and getattr(n, "on_timeout", "") != "approve"
    }
    for i, top in enumerate(steps):
        for node in walk([top]):
            if node.kind == "workflow":  # the child's own top-level steps, same rules
                child = node.plan  # type: ignore[attr-defined]
                where = (*via, f"sub-workflow {node.id!r} ({child.name})")
                _approvals(report, doc, child.steps, catalog, where, at or ("steps", i))
                continue
            risky = next((a for a in agents_of(node) if a.side_effects), None)
            if risky is None or getattr(node, "compensate", None) is not None:
                continue
            read = set()
            for expr in (top.when, node.when):
                if expr:
                    read |= references(expr)[1]
            if read & gates:
                continue
            inside = f" in {' → '.join(via)}" if via else ""
            report.problem(
                doc,
                at or ("steps", i),
                f"step {node.id!r}{inside} may call agent {risky.name!r}, which has side "
                f"effects, and no approval gates it (catalog {catalog}, policy: "
                "approve_side_effects)",
                "put an approval: step before it and give this step when: "
                "steps.<approval id>.output.approved (or a compensate: that undoes it)",
            )
