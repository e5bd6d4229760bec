"""The catalog's ``policy:`` — rules a spec must follow whoever wrote it (a person, or
the planner agent of ``podium plan``): a ceiling on the run's budget, an approval that
gates every side effect (``workflows/gates.py``), the hosts webhooks may reach.

The size limits (steps, depth, text, priority) are in ``compile_size``: they are checked
first, before anything costly."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from podium.workflows.catalog import PolicyEntry
from podium.workflows.gates import gates, unpaired_effect
from podium.workflows.kinds.base import Node, Plan, walk
from podium.workflows.problems import Reporter
from podium.workflows.spec import SpecFile
from podium.workflows.yamlfile import YamlDocument

__all__ = ["check_policies", "webhook_host"]


def check_policies(
    report: Reporter,
    doc: YamlDocument,
    spec: SpecFile,
    steps: list[Node],
    policies: list[tuple[PolicyEntry, YamlDocument]],
) -> bool:
    """Record a problem for every rule of every catalog policy the spec breaks (the
    steps of its sub-workflows included: a child spec cannot carry what its parent may
    not). True if a policy asks for approvals of side effects: the plan then carries
    that rule, and the interpreter enforces it before each effect."""
    gated = False
    for policy, catalog in policies:
        _budget(report, doc, spec, policy, catalog.path.name)
        _webhooks(report, doc, spec, policy, catalog.path.name)
        if policy.approve_side_effects:
            gated = True
            _approvals(report, doc, steps, catalog.path.name, (), None)
    return gated


def webhook_host(url: str) -> str:
    """The host a webhook URL reaches (lower case, no port)."""
    return (urlsplit(url).hostname or "").lower()


def _webhooks(
    report: Reporter, doc: YamlDocument, spec: SpecFile, policy: PolicyEntry, catalog: str
) -> None:
    if policy.webhook_hosts is None:
        return
    allowed = {h.lower() for h in policy.webhook_hosts}
    for i, url in enumerate(spec.notify):
        host = webhook_host(url)
        if host not in allowed:
            report.problem(
                doc,
                ("notify", i),
                f"webhook {url!r} reaches {host or 'no host'!r}, which catalog {catalog} does "
                "not allow (policy: webhook_hosts)",
                f"use a host of {', '.join(sorted(allowed)) or '(none allowed)'}, or ask "
                f"whoever owns {catalog} to add it",
            )


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
    """Every step that may call a side-effecting agent whose effect no paired undo covers
    must be dominated by an approval that does not approve by itself on timeout (the
    plan's structure decides, not its ``when:`` expressions)."""
    gate_of = gates(steps)
    for i, top in enumerate(steps):
        for node in walk([top]):
            if node.kind == "workflow":  # the child's own top-level steps, same rules
                child: Plan = node.plan  # type: ignore[attr-defined]
                child.approve_side_effects = True  # enforced in the child run too
                where = (*via, f"sub-workflow {node.id!r} ({child.name})")
                _approvals(report, doc, child.steps, catalog, where, at or ("steps", i))
                continue
            gate = gate_of.get(node.id)
            if gate is None or gate.approvals:
                continue
            risky = unpaired_effect(node)
            assert risky is not None
            inside = f" in {' → '.join(via)}" if via else ""
            undo = getattr(node, "compensate", None)
            why = ""
            if undo is not None:
                why = (
                    f"; its compensate: ({undo.agent.name}) does not count: the catalog pairs "
                    f"agent {risky.name!r} with " + (repr(risky.undo) if risky.undo else "no undo")
                )
            report.problem(
                doc,
                at or ("steps", i),
                f"step {node.id!r}{inside} may call agent {risky.name!r}, which has side "
                f"effects, and no approval gates it (catalog {catalog}, policy: "
                f"approve_side_effects){why}",
                "put an approval: step before it (in its needs:, or earlier in its parallel "
                "branch): it then runs only if that approval says yes; or declare undo: "
                f"<agent> on {risky.name!r} in the catalog and compensate: with that agent",
            )
