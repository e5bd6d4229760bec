"""The catalog's ``policy:`` — rules a spec must follow whoever wrote it (a person, or
the planner agent of ``podium plan``): a ceiling on the run's budget, an approval that
gates every side effect (``workflows/gates.py``), the hosts webhooks may reach.

The size limits (steps, depth, text, priority) are in ``compile_size``: they are checked
first, before anything costly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from podium.activities.contracts import AgentConfig
from podium.compiler.catalog_policy import PolicyEntry
from podium.compiler.problems import Reporter
from podium.compiler.spec import SpecFile
from podium.compiler.yamlfile import YamlDocument
from podium.workflows.gates import Gate, agents_of, gates, unpaired_effect
from podium.workflows.kinds.base import Node, Plan, walk

__all__ = ["EffectRule", "check_policies", "webhook_host"]


def check_policies(
    report: Reporter,
    doc: YamlDocument,
    spec: SpecFile,
    steps: list[Node],
    policies: list[tuple[PolicyEntry, YamlDocument]],
) -> EffectRule | None:
    """Record a problem for every rule of every catalog policy the spec breaks (the
    steps of its sub-workflows included: a child spec cannot carry what its parent may
    not). Returns the rule for side effects when a policy asks for approvals: the plan
    carries it, and the interpreter enforces it before each effect."""
    rule: EffectRule | None = None
    for policy, catalog in policies:
        _budget(report, doc, spec, policy, catalog.path.name)
        _webhooks(report, doc, spec.notify, policy, catalog.path.name)
        if policy.approve_side_effects:
            rule = EffectRule.joined(rule, policy.approvers)
    strict = next(((p, c) for p, c in policies if p.approve_side_effects), None)
    if strict is not None and rule is not None:  # (checked once, naming the first catalog)
        policy, catalog = strict
        _approvals(report, doc, steps, policy, rule, catalog.path.name, (), None)
    return rule


@dataclass(frozen=True)
class EffectRule:
    """What the policies together ask of side effects."""

    approvers: list[str] | None
    """Who may approve them (every policy's list at once); None: anyone named."""

    @staticmethod
    def joined(rule: EffectRule | None, approvers: list[str] | None) -> EffectRule:
        if rule is None or rule.approvers is None:
            return EffectRule(approvers)
        if approvers is None:
            return rule
        return EffectRule([a for a in rule.approvers if a in approvers])


def webhook_host(url: str) -> str:
    """The host a webhook URL reaches (lower case, no port)."""
    return (urlsplit(url).hostname or "").lower()


def _webhooks(
    report: Reporter,
    doc: YamlDocument,
    urls: list[str],
    policy: PolicyEntry,
    catalog: str,
    at: tuple[Any, ...] | None = None,
) -> None:
    """A webhook is a side effect no approval can gate: with ``webhook_hosts`` (or
    ``approve_side_effects``, which then allows only those hosts) other hosts are refused."""
    if policy.webhook_hosts is None and not policy.approve_side_effects:
        return
    allowed = {h.lower() for h in policy.webhook_hosts or []}
    rule = "webhook_hosts" if policy.webhook_hosts is not None else "approve_side_effects"
    for i, url in enumerate(urls):
        host = webhook_host(url)
        if host not in allowed:
            report.problem(
                doc,
                at or ("notify", i),
                f"webhook {url!r} reaches {host or 'no host'!r}, which catalog {catalog} does "
                f"not allow (policy: {rule}; a webhook is told every request for people and "
                "no approval can gate it)",
                f"use a host of {', '.join(sorted(allowed))}, or ask whoever owns {catalog} "
                "to add it"
                if allowed
                else f"remove it, or ask whoever owns {catalog} to list its host in "
                "policy: webhook_hosts",
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
    policy: PolicyEntry,
    rule: EffectRule,
    catalog: str,
    via: tuple[str, ...],
    at: tuple[Any, ...] | None,
) -> None:
    """Every step that may call a side-effecting agent whose effect no paired undo covers
    must be dominated by an approval that counts (``gates.counts``), and every undo with
    side effects must be the one the catalog pairs with the agent (an undo runs without
    asking anyone). The plan's structure decides, not its ``when:`` expressions."""
    gate_of = gates(steps, rule.approvers)
    for i, top in enumerate(steps):
        for node in walk([top]):
            place = at or ("steps", i)
            inside = f" in {' → '.join(via)}" if via else ""
            if node.kind == "workflow":  # the child's own top-level steps, same rules
                child: Plan = node.plan  # type: ignore[attr-defined]
                child.approve_side_effects = True  # enforced in the child run too
                child.effect_approvers = rule.approvers
                where = (*via, f"sub-workflow {node.id!r} ({child.name})")
                _webhooks(report, doc, child.notify, policy, catalog, place)
                _approvals(report, doc, child.steps, policy, rule, catalog, where, place)
                continue
            _undo(report, doc, node, place, inside, catalog)
            gate = gate_of.get(node.id)
            if gate is None or gate.approvals:
                continue
            risky = unpaired_effect(node)
            assert risky is not None
            undo = getattr(node, "compensate", None)
            why = ""
            if undo is not None:
                why = (
                    f"; its compensate: ({undo.agent.name}) does not count: the catalog pairs "
                    f"agent {risky.name!r} with " + (repr(risky.undo) if risky.undo else "no undo")
                )
            if gate.watched:
                why += "; " + "; ".join(_why_not(a, rule) for a in _approvals_in(steps, gate))
            report.problem(
                doc,
                place,
                f"step {node.id!r}{inside} may call agent {risky.name!r}, which has side "
                f"effects, and no approval gates it (catalog {catalog}, policy: "
                f"approve_side_effects){why}",
                "put an approval: step that names its approvers before it (in its needs:, or "
                "earlier in its parallel branch): it then runs only if that approval says "
                f"yes; or declare undo: <agent> on {risky.name!r} in the catalog and "
                "compensate: with that agent",
            )


def _undo(
    report: Reporter, doc: YamlDocument, node: Any, at: tuple[Any, ...], inside: str, catalog: str
) -> None:
    undo = getattr(node, "compensate", None)
    agent = getattr(undo, "agent", None)
    if not isinstance(agent, AgentConfig) or not agent.side_effects:
        return
    paired = {a.undo for a in agents_of(node) if a.side_effects}
    if paired == {agent.name}:
        return
    report.problem(
        doc,
        at,
        f"step {node.id!r}{inside}: its compensate: calls {agent.name!r}, which has side "
        f"effects and is not the undo the catalog pairs with the step's agent (catalog "
        f"{catalog}, policy: approve_side_effects: an undo runs without asking anyone)",
        "declare undo: <agent> on the step's agent in the catalog and compensate: with it",
    )


def _approvals_in(steps: list[Node], gate: Gate) -> list[Any]:
    found = {n.id: n for n in walk(steps)}
    return [found[a] for a in gate.watched if a in found]


def _why_not(approval: Any, rule: EffectRule) -> str:
    """Why an approval before the effect does not count (``gates.counts``)."""
    if getattr(approval, "on_timeout", "") == "approve":
        return f"approval {approval.id!r} approves by itself on timeout"
    asked = [approval.approvers, *(level.to for level in approval.escalate)]
    if not all(asked):
        return f"approval {approval.id!r} lets anyone decide (it names no approvers)"
    outside = sorted({p for level in asked for p in level} - set(rule.approvers or []))
    return (
        f"approval {approval.id!r} asks {', '.join(outside)}, who may not approve side "
        f"effects (policy: approvers: {', '.join(rule.approvers or []) or 'none'})"
    )
