"""What a person reads before approving a plan (``podium plan``): an estimated cost range
from the catalog's prices, every step that asks people, every side effect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podium.activities.contracts import AgentCall, AgentConfig, Usage
from podium.activities.providers.prompt import estimate_call
from podium.compiler.policy import webhook_host
from podium.workflows.gates import agents_of
from podium.workflows.kinds.base import Node, children, kind_of
from podium.workflows.plan import Plan


@dataclass
class Review:
    """What a person reads before approving a plan."""

    low_usd: float
    high_usd: float
    per_item: list[str]
    people: list[str]
    side_effects: list[str]


def review(plan: Plan) -> Review:
    """The estimated cost range and every step that asks people or changes the world."""
    low, high, per_item = _cost(plan.steps)
    people: list[str] = []
    effects: list[str] = []
    for node in walk_all(plan.steps):
        if node.kind == "approval":
            who = ", ".join(getattr(node, "approvers", []) or []) or "anyone"
            people.append(f"step {node.id!r}: approval by {who}")
        if node.on_error == "escalate":
            people.append(f"step {node.id!r}: a failure is escalated to a person")
        for member in getattr(node, "team", []) or []:
            if getattr(member, "kind", "") == "human":
                who = ", ".join(member.approvers) or "anyone"
                people.append(f"step {node.id!r}: the manager may ask {who} ({member.name})")
        for agent in agents_of(node):  # the agent, its fallbacks, a capability's candidates
            if agent.side_effects:
                undo = " (undone by compensate: if the run fails)" if node.compensate else ""
                effects.append(f"step {node.id!r}: agent {agent.name} has side effects{undo}")
            for tool in agent.tools:
                if tool.side_effects:
                    how = "a person approves each call" if tool.approval else "compensated"
                    effects.append(f"step {node.id!r}: tool {tool.name} has side effects ({how})")
                if tool.approval is not None:
                    who = ", ".join(tool.approval.approvers) or "anyone"
                    people.append(f"step {node.id!r}: each {tool.name} call approved by {who}")
    for url in _webhooks(plan):  # what is sent there leaves the company: say so
        effects.append(
            f"webhook {url} (host {webhook_host(url) or '?'}) is sent every request for people "
            "(titles, details)"
        )
    return Review(low, high, per_item, _unique(people), _unique(effects))


def _webhooks(plan: Plan) -> list[str]:
    """The ``notify:`` webhooks of ``plan`` and of its sub-workflows."""
    urls = list(plan.notify)
    for node in walk_all(plan.steps):
        child = getattr(node, "plan", None)
        if isinstance(child, Plan):
            urls += child.notify
    return urls


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def walk_all(nodes: list[Any]) -> list[Any]:
    out: list[Any] = []
    for node in nodes:
        out.append(node)
        out += walk_all(children(node))
        child = getattr(node, "plan", None)
        if isinstance(child, Plan):
            out += walk_all(child.steps)
    return out


def _call_cost(agent: AgentConfig) -> tuple[float, float]:
    """One call of ``agent``: (a short answer, its longest answer with every repair)."""
    prompt, most = estimate_call(AgentCall(agent=agent, inputs={}))
    low = agent.price.cost(Usage(input_tokens=prompt, output_tokens=min(most, 100)))
    high = agent.price.cost(Usage(input_tokens=prompt * 2, output_tokens=most))
    high *= 1 + agent.repair_attempts
    if agent.tools:
        high *= agent.max_turns
        high += max((t.price_usd for t in agent.tools), default=0.0) * agent.max_turns * 4
    return low, high


def _cost(nodes: list[Node]) -> tuple[float, float, list[str]]:
    low = high = 0.0
    per_item: list[str] = []
    for node in nodes:
        lo, hi, items = _node_cost(node)
        low, high, per_item = low + lo, high + hi, per_item + items
    return round(low, 6), round(high, 6), per_item


def _node_cost(node: Any) -> tuple[float, float, list[str]]:
    kind = kind_of(node).name
    if kind == "agent":
        lo, hi = _call_cost(node.agent)
        for other in (*node.fallbacks, *node.candidates):
            hi = max(hi, _call_cost(other)[1]) if node.candidates else hi + _call_cost(other)[1]
        return lo, hi, []
    if kind == "map":
        lo, hi, items = _cost([node.template])
        return lo, hi, [f"step {node.id!r} costs {_usd(lo)}–{_usd(hi)} per item", *items]
    if kind == "route":
        costs = [_cost([c]) for c in (*node.cases.values(), node.default) if c is not None]
        if not costs:
            return 0.0, 0.0, []
        return (
            min(c[0] for c in costs),
            max(c[1] for c in costs),
            [i for c in costs for i in c[2]],
        )
    if kind == "refine":
        lo, hi, items = _cost([node.producer, node.reviewer])
        return lo, hi * node.max_rounds, items
    if kind == "supervise":
        lo, hi, items = _cost([node.manager])
        members = [_cost([m.step]) for m in node.team if m.step is not None]
        most = max((m[1] for m in members), default=0.0)
        least = min((m[0] for m in members), default=0.0)
        return lo * 2 + least, (hi + most) * node.max_turns + hi, items
    if kind == "workflow":
        return _cost(node.plan.steps)
    return _cost(children(node))


def _usd(value: float) -> str:
    return f"${value:.4f}"


def review_text(plan: Plan, shown: Review) -> list[str]:
    """The review as lines (after the spec and its diagram)."""
    lines = [
        f"estimated cost per run: {_usd(shown.low_usd)} – {_usd(shown.high_usd)} "
        "(from the catalog's prices; the high end assumes every repair, turn and round)"
    ]
    lines += [f"  {line}" for line in shown.per_item]
    lines.append("people: " + ("none" if not shown.people else ""))
    lines += [f"  {line}" for line in shown.people]
    lines.append("side effects: " + ("none" if not shown.side_effects else ""))
    lines += [f"  {line}" for line in shown.side_effects]
    if plan.budget is not None:
        limits = [f"${plan.budget.usd:g}" if plan.budget.usd else "", f"{plan.budget.tokens or ''}"]
        lines.append("budget: " + " / ".join(x for x in limits if x))
    return [line.rstrip() for line in lines]
