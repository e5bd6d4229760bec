"""A compiled plan as a graph: nodes and edges, and its Mermaid text.

The same graph feeds ``podium graph`` (Mermaid) and ``podium graph --png`` (image).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from podium.workflows.kinds.base import Node, kind_of, tracked
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
    """Draw ``node`` the way its kind draws itself; return (entry key, exit key)."""
    entry, exit_ = kind_of(node).draw(graph, node, exits, prefix)
    exits[node.id] = exit_
    return entry, exit_


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
