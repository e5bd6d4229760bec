"""The builder's diagram: a spec's steps drawn from its text, each box knowing where in the
file its step is — so it can be drawn, clicked and edited even while the compiler refuses
the spec (the compiled plan is the spec page's; a draft half made has no plan yet).

A step is a box; what a step holds is drawn inside it in *slots*: a parallel step's
branches side by side, a branch's steps, a route's cases and default, a map's item step,
a refine's producer and reviewer, a step's undo (``compensate``). A supervise step's team
members are its *parts* (they are not steps: each is edited on its own). Every slot that
holds a list or a mapping of steps can take another one (``Slot.loc`` is where to insert).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podium.compiler.problems import format_loc
from podium.compiler.textfile import Loc
from podium.workflows.kinds.base import spec_keys

__all__ = ["KINDS", "Block", "Outline", "Slot", "outline", "kind_of_step"]

KINDS = (
    "agent",
    "capability",
    "parallel",
    "route",
    "map",
    "refine",
    "supervise",
    "approval",
    "workflow",
)
"""The kinds the builder offers to add, in menu order (registered kinds follow)."""


@dataclass
class Slot:
    """Where steps sit inside a step: a list, a mapping by name, or a single step."""

    name: str
    """The key it is written under (``parallel``, ``steps``, ``cases``, ``default``…)."""
    shape: str
    """``list``, ``map`` or ``one``."""
    loc: Loc
    """The list's, mapping's or single step's place in the file."""
    blocks: list[Block] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    """A mapping's keys (a route's case names), in order, beside ``blocks``."""

    @property
    def where(self) -> str:
        """``loc`` as written in forms (``steps[0].parallel``)."""
        return format_loc(self.loc)


@dataclass
class Block:
    """One step, drawn."""

    loc: Loc
    step: dict[str, Any]
    kind: str
    index: int = 0
    """Its position in its list or mapping."""
    siblings: int = 1
    """How many items its list or mapping holds (1: a single step's place)."""
    slots: list[Slot] = field(default_factory=list)
    parts: list[tuple[str, Loc, str]] = field(default_factory=list)
    """A supervise step's members: (name, place, what it is)."""

    @property
    def id(self) -> str:
        """The step's id ('' when it has none yet)."""
        value = self.step.get("id")
        return value if isinstance(value, str) else ""

    @property
    def where(self) -> str:
        """``loc`` as written in forms."""
        return format_loc(self.loc)

    @property
    def label(self) -> str:
        """What the step does, in a few words (its agent, what it maps over…)."""
        value = self.step.get(self.kind)
        if isinstance(value, str):
            return f"{self.kind}: {value}"
        if self.kind == "approval" and isinstance(value, dict):
            approvers = value.get("approvers") or []
            return "approval" + (f" by {', '.join(map(str, approvers))}" if approvers else "")
        if self.kind == "map" and isinstance(value, dict):
            return f"map over {value.get('over', '?')}"
        if self.kind == "supervise" and isinstance(value, dict):
            return f"supervised by {value.get('manager', '?')}"
        if self.kind == "route" and isinstance(value, dict):
            return f"route on {value.get('on', '?')}"
        return self.kind


@dataclass
class Outline:
    """The spec's top-level steps, drawn."""

    steps: Slot
    by_id: dict[str, Block] = field(default_factory=dict)

    def block_at(self, loc: Loc) -> Block | None:
        """The block of the step at ``loc``."""
        return next((b for b in self.blocks() if b.loc == loc), None)

    def targets(self, block: Block) -> list[Slot]:
        """The lists and mappings of steps ``block`` could be moved into: every one but
        its own and those inside it."""
        slots = [self.steps, *(s for b in self.blocks() for s in b.slots if s.shape != "one")]
        return [
            slot
            for slot in slots
            if slot.loc != block.loc[:-1] and slot.loc[: len(block.loc)] != block.loc
        ]

    def blocks(self) -> list[Block]:
        """Every block, nested ones too, top to bottom."""
        found: list[Block] = []

        def add(block: Block) -> None:
            found.append(block)
            for slot in block.slots:
                for inner in slot.blocks:
                    add(inner)

        for block in self.steps.blocks:
            add(block)
        return found


def kind_of_step(step: dict[str, Any]) -> str:
    """The step's kind: the first kind key it has (``step`` for a branch of steps)."""
    kind = next((key for key in spec_keys() if key in step), None)
    if kind == "steps":
        return "branch"
    return kind or "step"


def outline(spec: Any) -> Outline:
    """The outline of ``spec`` (its data, as read from the draft's text)."""
    steps = spec.get("steps") if isinstance(spec, dict) else None
    drawn = Outline(steps=Slot("steps", "list", ("steps",)))
    drawn.steps.blocks = _blocks(steps if isinstance(steps, list) else [], ("steps",), drawn)
    return drawn


def _blocks(items: list[Any], loc: Loc, drawn: Outline) -> list[Block]:
    return [
        _block(item, (*loc, n), drawn, n, len(items))
        for n, item in enumerate(items)
        if isinstance(item, dict)
    ]


def _block(step: dict[str, Any], loc: Loc, drawn: Outline, index: int, siblings: int) -> Block:
    block = Block(loc=loc, step=step, kind=kind_of_step(step), index=index, siblings=siblings)
    if block.id:
        drawn.by_id.setdefault(block.id, block)
    for name, key, shape in _slots_of(block.kind, step):
        place = (*loc, *key)
        value: Any = step
        for part in key:
            value = value.get(part) if isinstance(value, dict) else None
        slot = Slot(name, shape, place)
        if shape == "list":
            slot.blocks = _blocks(value if isinstance(value, list) else [], place, drawn)
        elif shape == "map" and isinstance(value, dict):
            pairs = [(k, v) for k, v in value.items() if isinstance(v, dict)]
            slot.names = [str(k) for k, _ in pairs]
            slot.blocks = [
                _block(v, (*place, k), drawn, n, len(pairs)) for n, (k, v) in enumerate(pairs)
            ]
        elif shape == "one" and isinstance(value, dict):
            slot.blocks = [_block(value, place, drawn, 0, 1)]
        block.slots.append(slot)
    team = step.get("supervise", {}).get("team") if block.kind == "supervise" else None
    if isinstance(team, dict) and isinstance(step.get("supervise"), dict):
        for name, member in team.items():
            what = _member_label(member)
            block.parts.append((str(name), (*loc, "supervise", "team", name), what))
    return block


def _slots_of(kind: str, step: dict[str, Any]) -> list[tuple[str, tuple[str, ...], str]]:
    """(name, key path inside the step, shape) of each slot a step of ``kind`` has."""
    slots: list[tuple[str, tuple[str, ...], str]] = []
    if kind == "parallel":
        slots.append(("parallel", ("parallel",), "list"))
    elif kind == "branch":
        slots.append(("steps", ("steps",), "list"))
    elif kind == "route":
        slots += [("cases", ("route", "cases"), "map"), ("default", ("route", "default"), "one")]
    elif kind == "map":
        slots.append(("step", ("step",), "one"))
    elif kind == "refine":
        slots += [
            ("producer", ("refine", "producer"), "one"),
            ("reviewer", ("refine", "reviewer"), "one"),
        ]
    if kind in ("agent", "capability") or "compensate" in step:
        slots.append(("compensate", ("compensate",), "one"))
    return slots


def _member_label(member: Any) -> str:
    if not isinstance(member, dict):
        return ""
    for key in ("agent", "capability"):
        if isinstance(member.get(key), str):
            return f"{key}: {member[key]}"
    if member.get("human"):
        return "people: " + ", ".join(map(str, member["human"]))
    return ""
