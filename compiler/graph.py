"""A compiled plan as a graph: nodes and edges, and its Mermaid text.

The same graph feeds ``podium graph`` (Mermaid) and ``podium graph --png`` (image).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from podium.workflows.kinds.agent import AgentNode
from podium.workflows.kinds.approval import ApprovalNode
from podium.workflows.kinds.base import Node, StepKind, kind_of, node_label, tracked
from podium.workflows.kinds.map import MapNode
from podium.workflows.kinds.parallel import ParallelNode
from podium.workflows.kinds.refine import RefineNode
from podium.workflows.kinds.route import RouteNode
from podium.workflows.kinds.supervise import SuperviseNode, manager_name
from podium.workflows.kinds.workflow import WorkflowNode
from podium.workflows.plan import Plan


@dataclass
class GraphNode:
    """One box: ``shape`` is start, end, agent, fork, join, map, route, merge, until, child,
    approval (a kind draws itself with these: ``StepKind.draw``)."""

    key: str
    label: str
    shape: str


@dataclass
class Graph:
    """Boxes and labelled arrows."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, key: str, label: str, shape: str) -> str:
        if shape not in _SHAPES:
            raise ValueError(f"unknown box shape {shape!r} (one of {', '.join(_SHAPES)})")
        self.nodes.append(GraphNode(key, label, shape))
        return key

    def link(self, a: str, b: str, label: str = "") -> None:
        self.edges.append((a, b, label))

    def box(self, prefix: str, node: Node, label: str, shape: str) -> str:
        """Add ``node``'s box (its label, then ``tags``); return its key."""
        return self.add(box_key(prefix + node.id), label + tags(node), shape)

    def draw(self, node: Node, exits: dict[str, str], prefix: str = "") -> tuple[str, str]:
        """Draw a nested step (for a kind's own ``draw``); return its (entry, exit) keys."""
        return draw_node(self, node, exits, prefix)


def plan_graph(plan: Plan) -> Graph:
    """The graph of a plan: start → steps (with their structure and needs) → output."""
    graph = Graph()
    start = graph.add("start", f"{plan.name} input", "start")
    exits: dict[str, str] = {}  # step id → key of the box where it ends
    ends: dict[str, tuple[str, str]] = {}
    for node in plan.steps:
        ends[node.id] = draw_node(graph, node, exits)
    used: set[str] = set()
    for node in plan.steps:
        entry, _ = ends[node.id]
        if not node.needs:
            graph.link(start, entry)
        for dep in node.needs:
            graph.link(exits[dep], entry)
            used.add(dep)
            used.add(_top_of(plan, dep))
    done = graph.add("output", "output", "end")
    for node in plan.steps:
        if node.id not in used:
            graph.link(ends[node.id][1], done)
    return graph


def _top_of(plan: Plan, step_id: str) -> str:
    for node in plan.steps:
        if any(inner.id == step_id for inner in tracked(kind_of(node).tracked_children(node))):
            return node.id
    return step_id


def tags(node: Node) -> str:
    """`` (if …; optional)`` after a box's label, for conditional and optional steps."""
    parts = []
    if node.when:
        parts.append(f"if {node.when}")
    if node.optional:
        parts.append("optional")
    return f" ({'; '.join(parts)})" if parts else ""


def draw_node(graph: Graph, node: Node, exits: dict[str, str], prefix: str = "") -> tuple[str, str]:
    """Draw ``node``: a built-in kind as drawn below, any other the way its kind draws
    itself (``StepKind.draw``); return (entry key, exit key)."""
    kind = kind_of(node)
    drawer = _DRAWERS.get(node.kind)
    if drawer is None or type(kind).draw is not StepKind.draw:
        entry, exit_ = kind.draw(graph, node, exits, prefix)
    else:
        entry, exit_ = drawer(graph, node, exits, prefix)
    exits[node.id] = exit_
    return entry, exit_


# -- the built-in kinds ------------------------------------------------------------------
def _draw_agent(
    graph: Graph, node: AgentNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    who = f"capability {node.capability}" if node.capability else node.agent.name
    if node.require:
        who += " (" + ", ".join(f"{k}: {v}" for k, v in node.require.items()) + ")"
    key = box_key(prefix + node.id)
    graph.add(key, (who if prefix else f"{node.id}: {who}") + tags(node), "agent")
    return key, key


def _draw_approval(
    graph: Graph, node: ApprovalNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    chain = " → ".join(
        [", ".join(node.approvers) or "anyone", *(", ".join(e.to) for e in node.escalate)]
    )
    key = box_key(prefix + node.id)
    graph.add(key, f"{node.id}: approval by {chain}{tags(node)}", "approval")
    return key, key


def _draw_map(graph: Graph, node: MapNode, exits: dict[str, str], prefix: str) -> tuple[str, str]:

    key = box_key(prefix + node.id)
    label = f"{node.id}: map over {node.over}, ≤ {node.max_concurrency} at once{tags(node)}"
    entry = graph.add(key, label, "map")
    t_in, exit_ = draw_node(graph, node.template, exits, prefix + node.id + "_")
    graph.link(entry, t_in, f"each {node.as_}")
    return entry, exit_


def _draw_parallel(
    graph: Graph, node: ParallelNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    key = box_key(prefix + node.id)
    join = f"quorum {node.quorum}" if node.join == "quorum" else node.join
    entry = graph.add(key, f"{node.id}: parallel{tags(node)}", "fork")
    exit_ = graph.add(key + "_join", f"join {join}", "join")
    for branch in node.branches:
        previous = entry
        for step in branch.steps:
            s_in, s_out = draw_node(graph, step, exits, prefix)
            graph.link(
                previous,
                s_in,
                "" if previous != entry or branch.on_error == "fail" else "on error: continue",
            )
            previous = s_out
        graph.link(previous, exit_)
    return entry, exit_


def _draw_refine(
    graph: Graph, node: RefineNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    key = box_key(prefix + node.id)
    p_in, p_out = draw_node(graph, node.producer, exits, prefix + node.id + "_")
    r_in, r_out = draw_node(graph, node.reviewer, exits, prefix + node.id + "_")
    exit_ = graph.add(key + "_until", f"{node.id}: until {node.until}{tags(node)}", "until")
    graph.link(p_out, r_in, "draft")
    graph.link(r_out, exit_, "review")
    graph.link(exit_, p_in, f"no, ≤ {node.max_rounds} rounds")
    return p_in, exit_


def _draw_route(
    graph: Graph, node: RouteNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    key = box_key(prefix + node.id)
    entry = graph.add(key, f"{node.id}: route on {node.on}{tags(node)}", "route")
    exit_ = graph.add(key + "_merge", f"{node.id} answered", "merge")
    cases = [*node.cases.items(), *([("default", node.default)] if node.default else [])]
    for value, case in cases:
        c_in, c_out = draw_node(graph, case, exits, prefix + node.id + "_")
        graph.link(entry, c_in, value)
        graph.link(c_out, exit_)
    return entry, exit_


def _draw_supervise(
    graph: Graph, node: SuperviseNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    key = box_key(prefix + node.id)
    hub = graph.add(
        key,
        f"{node.id}: {manager_name(node)} supervises, ≤ {node.max_turns} turns{tags(node)}",
        "route",
    )
    for member in node.team:
        key_m = box_key(f"{prefix}{node.id}_{member.name}")
        if member.step is not None:
            graph.add(key_m, f"{member.name}: {node_label(member.step)}", "agent")
        else:
            who = ", ".join(member.approvers) or "anyone"
            graph.add(key_m, f"{member.name}: people ({who})", "approval")
        graph.link(hub, key_m, "turn")
        graph.link(key_m, hub, "result")
    return hub, hub


def _draw_workflow(
    graph: Graph, node: WorkflowNode, exits: dict[str, str], prefix: str
) -> tuple[str, str]:

    key = box_key(prefix + node.id)
    name = "" if prefix else f"{node.id}: "
    graph.add(key, f"{name}sub-workflow {node.plan.name}{tags(node)}", "child")
    return key, key


_DRAWERS: dict[str, Callable[[Graph, Any, dict[str, str], str], tuple[str, str]]] = {
    "agent": _draw_agent,
    "approval": _draw_approval,
    "map": _draw_map,
    "parallel": _draw_parallel,
    "refine": _draw_refine,
    "route": _draw_route,
    "supervise": _draw_supervise,
    "workflow": _draw_workflow,
}


def box_key(text: str) -> str:
    """A Mermaid-safe node key for ``text``."""
    return "n_" + re.sub(r"\W", "_", text)


_SHAPES = {
    "start": '(["{}"])',
    "end": '(["{}"])',
    "agent": '["{}"]',
    "fork": '{{{{"{}"}}}}',
    "join": '(("{}"))',
    "map": '[["{}"]]',
    "route": '{{"{}"}}',
    "merge": '(("{}"))',
    "until": '{{"{}"}}',
    "child": '[["{}"]]',
    "approval": '[/"{}"/]',
}


def to_mermaid(graph: Graph) -> str:
    """Mermaid ``flowchart`` text of ``graph``."""
    lines = ["flowchart TD"]
    for node in graph.nodes:
        label = node.label.replace('"', "#quot;")
        lines.append(f"    {node.key}" + _SHAPES[node.shape].format(label))
    for a, b, label in graph.edges:
        text = label.replace('"', "#quot;").replace("|", "/")
        lines.append(f'    {a} -->|"{text}"| {b}' if label else f"    {a} --> {b}")
    return "\n".join(lines) + "\n"
