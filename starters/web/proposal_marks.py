"""A planner's proposal drawn against the draft it revises: each step marked ``added``
(its id only in the proposal), ``removed`` (only in the draft) or ``changed`` (the same
id, other settings), and each removed step put back in its place as a ghost, so the
diagram shows what would go as well as what would come.

    marked = mark_proposal(draft_data, proposed_data)
    marked.drawn            # the proposal's outline (spec_outline), ghosts included
    marked.marks["risk"]    # "changed"
    marked.settings         # whether the spec's own settings (input, output…) changed

A step's own settings are compared without the steps it holds (a parallel step is not
changed because one of its branches is: that branch carries the mark). Steps without an
id cannot be matched, so they carry no mark; the text diff beside the diagram shows every
change, those included.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from podium.starters.web.spec_outline import Block, Outline, Slot, outline

__all__ = ["Mark", "MarkedProposal", "mark_proposal"]

Mark = Literal["added", "changed", "removed"]
SlotKey = tuple[str, str]
"""A slot by its owner (the step's id, or its place when it has none; '' for the spec's
steps) and its name."""


@dataclass
class MarkedProposal:
    """The proposal's outline with its marks."""

    drawn: Outline
    marks: dict[str, Mark] = field(default_factory=dict)
    settings: bool = False
    """Whether the spec's settings (everything but its steps) changed."""

    def count(self, mark: Mark) -> int:
        """How many steps carry ``mark``."""
        return sum(1 for m in self.marks.values() if m == mark)


def mark_proposal(draft: Any, proposal: Any) -> MarkedProposal:
    """The proposal (its data) drawn and marked against the draft (its data)."""
    old, new = outline(draft), outline(proposal)
    before = {b.id: b for b in old.blocks() if b.id}
    after = {b.id: b for b in new.blocks() if b.id}
    marks: dict[str, Mark] = {}
    for step_id, block in after.items():
        if step_id not in before:
            marks[step_id] = "added"
        elif _own(before[step_id]) != _own(block):
            marks[step_id] = "changed"
    for step_id in before:
        if step_id not in after:
            marks[step_id] = "removed"
    _put_back_removed(old, new, marks)
    return MarkedProposal(new, marks, settings=_settings(draft) != _settings(proposal))


def _own(block: Block) -> Any:
    """A step's settings without the steps it holds."""
    step = copy.deepcopy(block.step)
    for slot in block.slots:
        holder: Any = step
        key = slot.loc[len(block.loc) :]
        for part in key[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder.pop(key[-1], None)
    return step


def _settings(spec: Any) -> Any:
    return {k: v for k, v in spec.items() if k != "steps"} if isinstance(spec, dict) else spec


def _put_back_removed(old: Outline, new: Outline, marks: dict[str, Mark]) -> None:
    """Insert each removed step (with what it held) into the proposal's slot it was in,
    after the sibling it followed in the draft (a slot whose holder is gone too: at the
    end of the spec's steps)."""
    new_slots = dict(_slots(new))
    for (owner, name), slot in _slots(old):
        if marks.get(owner) == "removed":
            continue  # drawn inside its holder's ghost
        for index, block in enumerate(slot.blocks):
            if marks.get(block.id) != "removed":
                continue
            target = new_slots.get((owner, name))
            if target is None:
                new.steps.blocks.append(block)
                continue
            present = [b.id for b in target.blocks]
            earlier = [b.id for b in slot.blocks[:index] if b.id and b.id in present]
            at = present.index(earlier[-1]) + 1 if earlier else 0
            target.blocks.insert(at, block)
            if target.shape == "map":
                target.names.insert(at, slot.names[index])


def _slots(drawn: Outline) -> list[tuple[SlotKey, Slot]]:
    """Every slot of ``drawn`` by its owner and name, top to bottom."""
    found: list[tuple[SlotKey, Slot]] = [(("", "steps"), drawn.steps)]
    for block in drawn.blocks():
        owner = block.id or block.where
        found += [((owner, slot.name), slot) for slot in block.slots]
    return found
