"""A plan drawn for the run page: its steps in the order they can run.

The page draws it in HTML and CSS (no Mermaid, no script), phone first: the plan's
top-level steps in rows — a step sits below every step it needs, steps of one row may run
at the same time — and inside a step's box what it holds: a parallel step's branches side
by side, each its steps in order; a route's cases, a refine's producer and reviewer, a
map's item step, a supervisor and its team as the box's parts. Each box carries the id
the run's events name the step by, so the page can mark each step's status and light the
one that runs (``live_run``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podium.workflows.kinds.base import children, kind_of, node_label, walk
from podium.workflows.kinds.parallel import ParallelNode
from podium.workflows.plan import Plan


@dataclass
class Part:
    """A step inside a box that has no state of its own (a route's case, a map's item
    step): it is lit while it writes."""

    step: str
    name: str
    """What the step is called inside its box (a route's case, a team member's name)."""
    label: str


@dataclass
class Box:
    """One step of the run state, drawn."""

    step: str
    label: str
    kind: str
    branches: list[list[Box]] = field(default_factory=list)
    """A parallel step's branches, each its steps in order (boxes of their own)."""
    parts: list[Part] = field(default_factory=list)


@dataclass
class Diagram:
    """The plan's steps in rows, and which box each nested step is drawn in."""

    rows: list[list[Box]] = field(default_factory=list)
    owner: dict[str, str] = field(default_factory=dict)
    """Step id (nested ones too) → the id of the box it is drawn in."""

    def drawn_as(self, step: str) -> str | None:
        """The id ``step`` is drawn under: its own, or — for the steps of a map's items
        and a loop's rounds, named after the step they repeat — the longest id drawn that
        it starts with (None: not drawn)."""
        if step in self.owner:
            return step
        known = [s for s in self.owner if step.startswith(s)]
        return max(known, key=len) if known else None

    def boxes(self) -> list[Box]:
        """Every box, branches' boxes included, top to bottom."""
        found: list[Box] = []

        def add(box: Box) -> None:
            found.append(box)
            for branch in box.branches:
                for inner in branch:
                    add(inner)

        for row in self.rows:
            for box in row:
                add(box)
        return found


def diagram(plan: Plan | None) -> Diagram:
    """The diagram of ``plan`` (an empty one when the run's plan cannot be read)."""
    drawn = Diagram()
    if plan is None:
        return drawn
    top_of = {inner.id: node.id for node in plan.steps for inner in walk([node])}
    needs = {node.id: {top_of.get(dep, dep) for dep in node.needs} for node in plan.steps}
    depth: dict[str, int] = {}

    def row_of(step: str) -> int:
        if step not in depth:
            depth[step] = 0  # (needs never loop: the compiler refuses cycles)
            depth[step] = 1 + max((row_of(dep) for dep in needs.get(step, ())), default=-1)
        return depth[step]

    for node in plan.steps:
        row = row_of(node.id)
        while len(drawn.rows) <= row:
            drawn.rows.append([])
        drawn.rows[row].append(_box(node, drawn.owner))
    return drawn


def _box(node: Any, owner: dict[str, str]) -> Box:
    box = Box(step=node.id, label=node_label(node), kind=node.kind)
    owner[node.id] = node.id
    if isinstance(node, ParallelNode):
        box.branches = [[_box(step, owner) for step in branch.steps] for branch in node.branches]
        return box
    own_state = {inner.id for inner in kind_of(node).tracked_children(node)}
    for inner in walk(children(node)):
        if inner.id in own_state:  # a registered kind's tracked steps: boxes of their own
            box.branches.append([_box(inner, owner)])
        elif inner.id not in owner:
            owner[inner.id] = node.id
            name = inner.id.removeprefix(f"{node.id}_").strip("_") or inner.id
            box.parts.append(Part(step=inner.id, name=name, label=node_label(inner)))
    return box
