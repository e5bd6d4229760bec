"""Turning a spec being edited into new data with the fewest edits, so a whole new version
(a planner's proposal, a form's answer) changes only the lines that differ.

    editor = SpecEditor.open("specs/deal_review.yaml")
    update(editor, (), proposed)        # the whole spec; or a place: ("steps", 1)
    changes(editor.get(()), proposed)   # the edits, as data: [Change(kind="insert", …)]

What counts as one edit:

- a mapping: the keys whose value changed are updated (recursing into them), keys gone
  are deleted, new keys are inserted after the key that precedes them in the new data.
  Kept keys stay in the file's order: the order of a mapping's keys means nothing to a
  spec, and a planner's answer often writes them in another.
- a list of steps (every item a mapping with its own ``id``): items are matched by id —
  removed ones deleted, new ones inserted where they belong, reordered ones moved (as
  few as can be: those outside the longest run already in order), kept ones updated.
- any other list: item by item when it keeps its length, else its items are matched as
  text diffs match lines (kept, updated, deleted, inserted).
- a scalar: set when it differs, its type included (``1``, ``1.0`` and ``true`` differ).

Each edit is ``SpecEditor``'s own (``set``, ``delete``, ``insert``, ``move``), so comments
travel with their items and every line no edit touches keeps its bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from podium.compiler.spec_editing import SpecEditor
from podium.compiler.spec_paths import SpecEditError
from podium.compiler.textfile import Loc

__all__ = ["Change", "changes", "update"]


@dataclass(frozen=True)
class Change:
    """One edit, made in order after those before it (positions are as they are then)."""

    kind: Literal["set", "delete", "insert", "move"]
    loc: Loc
    """The value set, deleted or moved; for an insert, the new key or list position."""
    value: Any = None
    """What is set or inserted."""
    to: int | None = None
    """Where a moved item goes; where in a mapping a new key goes."""

    def apply(self, editor: SpecEditor) -> None:
        """Make this edit on ``editor``."""
        if self.kind == "set":
            editor.set(self.loc, self.value)
        elif self.kind == "delete":
            editor.delete(self.loc)
        elif self.kind == "insert":
            editor.insert(self.loc, self.value, at=self.to)
        else:
            assert self.to is not None
            editor.move(self.loc, self.to)


def update(editor: SpecEditor, loc: Loc, new: Any) -> None:
    """Make the value at ``loc`` (``()``: the whole spec) ``new``, with the fewest edits.

    Raises ``SpecEditError`` (the place, what is wrong) if an edit cannot be made; the
    edits before it stay made.
    """
    for change in changes(editor.get(loc), new, loc):
        change.apply(editor)


def changes(old: Any, new: Any, loc: Loc = ()) -> list[Change]:
    """The edits that turn ``old`` (the value at ``loc``) into ``new``, in order."""
    if not loc and not isinstance(new, dict):
        raise SpecEditError((), "a spec is a mapping (name:, steps:, …)", "give a mapping")
    if not loc and old is None:  # an empty file
        old = {}
    out: list[Change] = []
    _diff(old, new, loc, out)
    return out


def _diff(old: Any, new: Any, loc: Loc, out: list[Change]) -> None:
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        _diff_mapping(old, new, loc, out)
    elif isinstance(old, list) and isinstance(new, list) and old:
        if _steps(old) and _steps(new):
            _diff_steps(old, new, loc, out)
        elif len(old) == len(new):
            for index, (before, after) in enumerate(zip(old, new, strict=True)):
                _diff(before, after, (*loc, index), out)
        else:
            _diff_items(old, new, loc, out)
    elif isinstance(old, list) and isinstance(new, list):  # items into an empty list
        out += [Change("insert", (*loc, n), item) for n, item in enumerate(new)]
    else:
        out.append(Change("set", loc, new))


def _diff_mapping(old: dict[str, Any], new: dict[str, Any], loc: Loc, out: list[Change]) -> None:
    keys = [key for key in old if key in new]
    out += [Change("delete", (*loc, key)) for key in old if key not in new]
    previous: str | None = None
    for key, value in new.items():
        if key in old:
            _diff(old[key], value, (*loc, key), out)
        else:
            at = keys.index(previous) + 1 if previous is not None else 0
            keys.insert(at, key)
            out.append(Change("insert", (*loc, key), value, to=at))
        previous = key


def _diff_steps(old: list[Any], new: list[Any], loc: Loc, out: list[Change]) -> None:
    """Steps matched by id: the removed deleted, the new inserted, the reordered moved."""
    wanted = [step["id"] for step in new]
    was = {step["id"]: step for step in old}
    order = [step["id"] for step in old]
    for index in reversed(range(len(order))):
        if order[index] not in wanted:
            out.append(Change("delete", (*loc, index)))
            del order[index]
    kept = [i for i in wanted if i in was]
    staying = _longest_in_order(order, kept)
    for n, step_id in enumerate(wanted):
        after = order.index(wanted[n - 1]) + 1 if n else 0  # right after its predecessor
        if step_id not in was:
            order.insert(after, step_id)
            out.append(Change("insert", (*loc, after), new[n]))
        elif step_id not in staying:
            index = order.index(step_id)
            to = after if index > after else after - 1
            order.insert(to, order.pop(index))
            if to != index:
                out.append(Change("move", (*loc, index), to=to))
    for n, step in enumerate(new):
        if step["id"] in was:
            _diff(was[step["id"]], step, (*loc, n), out)


def _diff_items(old: list[Any], new: list[Any], loc: Loc, out: list[Change]) -> None:
    """A list of another length: matched as a text diff matches lines."""
    blocks = SequenceMatcher(None, [_key(v) for v in old], [_key(v) for v in new], False)
    shift = 0  # how far the later items of ``old`` have moved by the edits so far
    for tag, i1, i2, j1, j2 in blocks.get_opcodes():
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for n in range(paired):
            _diff(old[i1 + n], new[j1 + n], (*loc, i1 + n + shift), out)
        if tag in ("delete", "replace"):
            for _ in range(i2 - i1 - paired):
                out.append(Change("delete", (*loc, i1 + paired + shift)))
        if tag in ("insert", "replace"):
            for n in range(paired, j2 - j1):
                out.append(Change("insert", (*loc, i1 + n + shift), new[j1 + n]))
        shift += (j2 - j1) - (i2 - i1)


def _longest_in_order(order: list[str], wanted: list[str]) -> set[str]:
    """The ids of the longest run of ``order`` already in ``wanted``'s order (left
    where they are: every other one is moved)."""
    rank = {step_id: n for n, step_id in enumerate(wanted)}
    ranks = [rank[step_id] for step_id in order]
    best: list[list[int]] = []  # best[n]: a longest increasing run ending at item n
    for n, value in enumerate(ranks):
        before = [best[m] for m in range(n) if ranks[m] < value]
        best.append([*max(before, key=len, default=[]), n])
    longest = max(best, key=len, default=[])
    return {order[n] for n in longest}


def _steps(items: list[Any]) -> bool:
    """Whether every item is a mapping with its own text ``id`` (a list of steps)."""
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    return all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def _same(one: Any, other: Any) -> bool:
    """Whether two values are equal, their types included (``1``, ``1.0``, ``True``
    differ); the order of a mapping's keys aside."""
    if isinstance(one, dict) and isinstance(other, dict):
        return one.keys() == other.keys() and all(_same(one[k], other[k]) for k in one)
    if isinstance(one, list) and isinstance(other, list):
        return len(one) == len(other) and all(map(_same, one, other))
    return type(one) is type(other) and one == other


def _key(value: Any) -> str:
    """``value`` as text that differs exactly when ``same`` says the values differ."""
    return json.dumps(value, sort_keys=True, default=repr)
