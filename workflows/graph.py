"""A compiled plan as a graph: nodes and edges, and its Mermaid text.

The same graph feeds ``podium graph`` (Mermaid) and ``podium graph --png`` (image).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.plan import (
    AgentNode,
    ApprovalNode,
    MapNode,
    Node,
    ParallelNode,
    Plan,
    RefineNode,
    RouteNode,
    WorkflowNode,
)


@dataclass
class GraphNode:
    """One box: ``shape`` is start, end, agent, fork, join, map, route, merge, until, child."""

    key: str
    label: str
    shape: str


@dataclass
class Graph:
    """Boxes and labelled arrows."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, key: str, label: str, shape: str) -> str:
        self.nodes.append(GraphNode(key, label, shape))
        return key

    def link(self, a: str, b: str, label: str = "") -> None:
        self.edges.append((a, b, label))


def plan_graph(plan: Plan) -> Graph:
    """The graph of a plan: start → steps (with their structure and needs) → output."""
    graph = Graph()
    start = graph.add("start", f"{plan.name} input", "start")
    exits: dict[str, str] = {}  # step id → key of the box where it ends
    ends: dict[str, tuple[str, str]] = {}
    for node in plan.steps:
        ends[node.id] = _draw(graph, node, exits)
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
        if isinstance(node, ParallelNode) and any(
            s.id == step_id for b in node.branches for s in b.steps
        ):
            return node.id
    return step_id


def _tags(node: Node) -> str:
    tags = []
    if node.when:
        tags.append(f"if {node.when}")
    if node.optional:
        tags.append("optional")
    return f" ({'; '.join(tags)})" if tags else ""


def _draw(graph: Graph, node: Node, exits: dict[str, str], prefix: str = "") -> tuple[str, str]:
    """Draw ``node``; return (entry key, exit key)."""
    key = _key(prefix + node.id)
    tags = _tags(node)
    if isinstance(node, AgentNode):
        who = f"capability {node.capability}" if node.capability else node.agent.name
        if node.require:
            who += " (" + ", ".join(f"{k}: {v}" for k, v in node.require.items()) + ")"
        name = who if prefix else f"{node.id}: {who}"
        graph.add(key, name + tags, "agent")
        entry = exit_ = key
    elif isinstance(node, ParallelNode):
        join = f"quorum {node.quorum}" if node.join == "quorum" else node.join
        entry = graph.add(key, f"{node.id}: parallel{tags}", "fork")
        exit_ = graph.add(key + "_join", f"join {join}", "join")
        for branch in node.branches:
            previous = entry
            for step in branch.steps:
                s_in, s_out = _draw(graph, step, exits, prefix)
                graph.link(
                    previous,
                    s_in,
                    "" if previous != entry or branch.on_error == "fail" else "on error: continue",
                )
                previous = s_out
            graph.link(previous, exit_)
    elif isinstance(node, MapNode):
        entry = graph.add(
            key, f"{node.id}: map over {node.over}, ≤ {node.max_concurrency} at once{tags}", "map"
        )
        t_in, exit_ = _draw(graph, node.template, exits, prefix + node.id + "_")
        graph.link(entry, t_in, f"each {node.as_}")
    elif isinstance(node, RouteNode):
        entry = graph.add(key, f"{node.id}: route on {node.on}{tags}", "route")
        exit_ = graph.add(key + "_merge", f"{node.id} answered", "merge")
        cases = [*node.cases.items(), *([("default", node.default)] if node.default else [])]
        for value, case in cases:
            c_in, c_out = _draw(graph, case, exits, prefix + node.id + "_")
            graph.link(entry, c_in, value)
            graph.link(c_out, exit_)
    elif isinstance(node, RefineNode):
        p_in, p_out = _draw(graph, node.producer, exits, prefix + node.id + "_")
        r_in, r_out = _draw(graph, node.reviewer, exits, prefix + node.id + "_")
        exit_ = graph.add(key + "_until", f"{node.id}: until {node.until}{tags}", "until")
        graph.link(p_out, r_in, "draft")
        graph.link(r_out, exit_, "review")
        graph.link(exit_, p_in, f"no, ≤ {node.max_rounds} rounds")
        entry = p_in
    elif isinstance(node, ApprovalNode):
        chain = " → ".join(
            [", ".join(node.approvers) or "anyone", *(", ".join(e.to) for e in node.escalate)]
        )
        graph.add(key, f"{node.id}: approval by {chain}{tags}", "approval")
        entry = exit_ = key
    else:
        assert isinstance(node, WorkflowNode)
        name = "" if prefix else f"{node.id}: "
        graph.add(key, f"{name}sub-workflow {node.plan.name}{tags}", "child")
        entry = exit_ = key
    exits[node.id] = exit_
    return entry, exit_


def _key(text: str) -> str:
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
