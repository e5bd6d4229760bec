"""Which approvals gate which side effects — read from the plan's structure, never from
what an expression says.

Under a catalog's ``policy: {approve_side_effects: true}`` a step that may call an agent
with side effects (and no undo the catalog pairs with it) runs only if

- at least one approval step that *dominates* it — certain to have finished before it
  starts, by the ``needs:`` edges and the order of a parallel branch — returned
  ``approved: true`` (an approval that approves by itself on timeout does not count), and
- no dominating approval returned ``approved: false``.

The compiler refuses a spec where no approval dominates such a step
(``compile_policy``); the interpreter checks the decisions again right before the step
runs (``steps/execute.py``), whatever the step's ``when:`` says, so neither a clever
``when:`` nor a hand-edited plan lets a rejected effect through. Pure functions of the
plan: the compiler and the workflow compute the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from podium.activities.contract_base import Contract
from podium.activities.contracts import AgentConfig
from podium.workflows.kinds.base import children

UNGATED = "UngatedSideEffect"
"""Why a step was refused at run time: no approval dominates it (a plan the compiler did
not check)."""


def agents_of(node: Any) -> list[AgentConfig]:
    """Every agent a node may call: the agent, its fallbacks, a capability's candidates."""
    found = [
        getattr(node, "agent", None),
        *getattr(node, "fallbacks", []),
        *getattr(node, "candidates", []),
    ]
    return [a for a in found if isinstance(a, AgentConfig)]


def unpaired_effect(node: Any) -> AgentConfig | None:
    """The first agent with side effects ``node`` may call whose effect no undo covers:
    a step's ``compensate:`` covers an agent only if the catalog pairs them (the agent's
    ``undo:`` names the compensating agent)."""
    undo = getattr(node, "compensate", None)
    undo_agent = getattr(undo, "agent", None)
    undo_name = undo_agent.name if isinstance(undo_agent, AgentConfig) else None
    for agent in agents_of(node):
        if agent.side_effects and (undo_name is None or agent.undo != undo_name):
            return agent
    return None


class Gate(Contract):
    """The approvals that must decide before an effect runs (a contract: a map's batches,
    run as child workflows, receive the gates of their template's steps)."""

    approvals: tuple[str, ...]
    """Dominating approval steps that count (they do not approve by themselves)."""
    watched: tuple[str, ...]
    """Every dominating approval: a rejection by any of them stops the effect."""
    agent: str = ""
    """The agent with side effects the step may call (shown to whoever approves)."""


def gates(steps: list[Any], approvers: list[str] | None = None) -> dict[str, Gate]:
    """The gate of every step (by id) that may call an unpaired side-effecting agent.

    ``approvers``: the catalog policy's list of who may approve side effects; an approval
    counts only if everyone it may ask (escalations included) is on it."""
    dominated = dominators(steps)
    nodes = _index(steps)
    out: dict[str, Gate] = {}
    for node_id, node in nodes.items():
        effect = unpaired_effect(node)
        if effect is None:
            continue
        approvals = [nodes[d] for d in sorted(dominated.get(node_id, ())) if d in nodes]
        approvals = [a for a in approvals if a.kind == "approval"]
        out[node_id] = Gate(
            approvals=tuple(a.id for a in approvals if counts(a, approvers)),
            watched=tuple(a.id for a in approvals),
            agent=effect.name,
        )
    return out


def unlocked_by(approval_id: str, gate_of: dict[str, Gate]) -> list[str]:
    """What a yes to ``approval_id`` lets run: ``"<step> (agent <name>)"`` per effect."""
    return [
        f"{step} (agent {g.agent})" for step, g in gate_of.items() if approval_id in g.approvals
    ]


def counts(approval: Any, approvers: list[str] | None) -> bool:
    """Whether ``approval`` can gate a side effect: it does not approve by itself on
    timeout, it names who decides (not "anyone"), and with a policy list of approvers it
    asks only people on the list."""
    if getattr(approval, "on_timeout", "") == "approve":
        return False
    asked = [approval.approvers, *(level.to for level in approval.escalate)]
    if not all(asked):
        return False
    return approvers is None or all(set(level) <= set(approvers) for level in asked)


def verdict(gate: Gate, steps: dict[str, Any]) -> tuple[bool, str]:
    """Whether the effect may run given the finished steps (``{id: {output, status}}``),
    and why (the reason is recorded on the step)."""
    if not gate.approvals:
        return False, "no approval step comes before it in the plan"
    for approval in gate.watched:
        output = (steps.get(approval) or {}).get("output")
        if isinstance(output, dict) and output.get("approved") is False:
            by = output.get("by") or "someone"
            return False, f"approval {approval!r} was rejected by {by}"
    for approval in gate.approvals:
        output = (steps.get(approval) or {}).get("output")
        if isinstance(output, dict) and output.get("approved") is True:
            return True, f"approved in {approval!r} by {output.get('by') or 'someone'}"
    asked = ", ".join(repr(a) for a in gate.approvals)
    return False, f"no approval was given ({asked} did not approve: skipped or failed)"


def dominators(steps: list[Any]) -> dict[str, frozenset[str]]:
    """For every step id, the steps certain to have finished (approved or not, skipped
    included) before it starts: what its top-level step ``needs`` (transitively), the
    earlier steps of its parallel branch, and theirs in turn."""
    tops = {n.id: n for n in steps}
    top_of: dict[str, str] = {}
    before: dict[str, frozenset[str]] = {}
    parent: dict[str, str | None] = {}
    inner: dict[str, frozenset[str]] = {}

    def visit(node: Any, top: str, up: str | None, earlier: frozenset[str]) -> frozenset[str]:
        top_of[node.id], parent[node.id], before[node.id] = top, up, earlier
        below: set[str] = set()
        for sequence, once in _sequences(node):
            seen: frozenset[str] = frozenset()
            for child in sequence:
                grand = visit(child, top, node.id, seen)
                seen = seen | {child.id} | grand
                if once:  # (a map item's or a round's approval says nothing of the others)
                    below |= {child.id} | grand
        inner[node.id] = frozenset(below)
        return inner[node.id]

    for node in steps:
        visit(node, node.id, None, frozenset())

    done: dict[str, frozenset[str]] = {}
    busy: set[str] = set()

    def top_done(top: str) -> frozenset[str]:
        if top in done:
            return done[top]
        if top in busy:  # a cycle (a plan no compiler made): nothing is certain
            return frozenset()
        busy.add(top)
        out: set[str] = set()
        for dep in getattr(tops[top], "needs", []):
            if dep in top_of:
                out |= implied(dep)
        busy.discard(top)
        done[top] = frozenset(out)
        return done[top]

    def implied(step_id: str) -> set[str]:
        """Finished once ``step_id`` has: it, what is inside it, and what came before."""
        return {step_id, *inner[step_id], *before_all(step_id)}

    def before_all(step_id: str) -> set[str]:
        out: set[str] = set(before[step_id])
        up = parent[step_id]
        while up is not None:
            out |= before[up]
            up = parent[up]
        return out | set(top_done(top_of[step_id]))

    return {step_id: frozenset(before_all(step_id)) for step_id in top_of}


def _sequences(node: Any) -> Iterable[tuple[list[Any], bool]]:
    """The nested steps of ``node`` as sequences that run in order, each with whether its
    steps run once and are certain to have run when ``node`` has finished: a parallel
    step's branches do; a map's item, a route's cases, refine's rounds and a supervisor's
    turns may run several times or not at all, so an approval among them gates only what
    follows it there."""
    branches = getattr(node, "branches", None)
    if node.kind == "parallel" and branches is not None:
        return [(list(b.steps), True) for b in branches]
    return [([child], False) for child in children(node)]


def _index(steps: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in steps:
        out[node.id] = node
        for sequence, _ in _sequences(node):
            out.update(_index(sequence))
    return out
