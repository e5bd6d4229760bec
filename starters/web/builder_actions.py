"""What the builder's buttons do to a draft: add a step of any kind anywhere steps go,
remove one, move it up or down its list, or into another branch, case or slot.

Each action is a few ``SpecEditor`` edits on the draft's text (the lines it touches
change, nothing else). A wrong action — a place that is not in the spec any more (two
tabs), an id already taken, a step moved into itself — raises ``SpecEditError`` with
what to do instead, and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from podium.compiler.spec_editing import SpecEditError, SpecEditor
from podium.compiler.textfile import Loc
from podium.starters.web.spec_outline import KINDS, outline
from podium.workflows.kinds.base import spec_keys

__all__ = ["add_member", "add_step", "move_step", "relocate_step", "remove_step", "skeleton"]

STEP_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def skeleton(kind: str, step_id: str, agent: str = "") -> dict[str, Any]:
    """A new step of ``kind``: the least that says what it is, for the form to complete
    (the compiler says what is still missing)."""
    first = agent or "agent-name"
    made: dict[str, Any] = {"id": step_id}
    if kind == "agent":
        made["agent"] = first
    elif kind == "capability":
        made["capability"] = "capability-name"
    elif kind == "parallel":
        made["parallel"] = []
    elif kind == "branch":
        made["steps"] = []
    elif kind == "route":
        made["route"] = {"on": "input", "cases": {}}
    elif kind == "map":
        made["map"] = {"over": "input.items"}
        made["step"] = {"id": f"{step_id}_item", "agent": first, "with": {"item": "vars.item"}}
    elif kind == "refine":
        made["refine"] = {
            "producer": {"id": f"{step_id}_draft", "agent": first},
            "reviewer": {"id": f"{step_id}_review", "agent": first},
            "until": "vars.review.approved",
            "max_rounds": 3,
        }
    elif kind == "supervise":
        made["supervise"] = {"manager": first, "team": {}}
    elif kind == "approval":
        made["approval"] = {"title": "Approve?", "approvers": []}
    elif kind == "workflow":
        made["workflow"] = "other_spec.yaml"
    elif kind in spec_keys():  # a registered kind: its settings are its form's to fill
        made[kind] = {}
    else:
        raise SpecEditError(
            (), f"there is no step kind {kind!r}", f"pick one of {', '.join(kinds())}"
        )
    return made


def kinds() -> list[str]:
    """The kinds a person can add: the built-ins, a branch, then registered kinds."""
    return [*KINDS, "branch", *(k for k in spec_keys() if k not in KINDS and k != "steps")]


def add_step(
    editor: SpecEditor,
    into: Loc,
    kind: str,
    step_id: str = "",
    *,
    at: int | None = None,
    name: str = "",
    agent: str = "",
) -> Loc:
    """Add a new step of ``kind`` to the list, mapping or single place ``into``; its id
    is ``step_id`` or a free one made from the kind. Returns where it went."""
    spec = editor.get(())
    taken = set(outline(spec).by_id) | _ids(spec)
    step_id = step_id.strip() or _free_id(kind, taken)
    if not STEP_ID.match(step_id):
        raise SpecEditError(
            into,
            f"{step_id!r} cannot be a step id",
            "use letters, digits and '_', starting with a letter",
        )
    if step_id in taken:
        raise SpecEditError(
            into, f"there is already a step {step_id!r}", "give the new step another id"
        )
    step = skeleton(kind, step_id, agent)
    holder = _value(editor, into)
    if holder is None and into[-1] == "steps" and len(into) == 1:  # a spec with no steps yet
        editor.set(into, [step])
        return (*into, 0)
    if isinstance(holder, list):
        where = len(holder) if at is None else max(0, min(at, len(holder)))
        editor.insert((*into, where), step)
        return (*into, where)
    if into[-1] == "cases" and (holder is None or isinstance(holder, dict)):
        key = name.strip() or step_id
        if holder is not None and key in holder:
            raise SpecEditError(into, f"there is already a case {key!r}", "give it another name")
        if holder is None:
            editor.set(into, {key: step})
        else:
            editor.insert((*into, key), step)
        return (*into, key)
    if holder is None:  # an empty single place: a route's default, an undo, a map's step
        editor.set(into, step)
        return into
    raise SpecEditError(into, "steps cannot be added here", "add it to a list of steps or a branch")


def add_member(editor: SpecEditor, team: Loc, name: str, agent: str) -> Loc:
    """Add the member ``name`` (the agent ``agent``) to a supervise step's ``team``."""
    name = name.strip()
    if not name:
        raise SpecEditError(team, "a team member needs a name", "the manager calls it by it")
    holder = _value(editor, team)
    if isinstance(holder, dict) and name in holder:
        raise SpecEditError(team, f"there is already a member {name!r}", "give it another name")
    member = {"agent": agent.strip() or "agent-name"}
    if holder is None:
        editor.set(team, {name: member})
    else:
        editor.insert((*team, name), member)
    return (*team, name)


def remove_step(editor: SpecEditor, loc: Loc) -> None:
    """Remove the step at ``loc`` (what it holds goes with it)."""
    editor.delete(loc)


def move_step(editor: SpecEditor, loc: Loc, to: int) -> Loc:
    """Move the step at ``loc`` to position ``to`` of its list or mapping."""
    editor.move(loc, to)
    return (*loc[:-1], to)


def relocate_step(editor: SpecEditor, loc: Loc, into: Loc, name: str = "") -> Loc:
    """Move the step at ``loc`` to the end of the list or mapping ``into`` (nest it in a
    branch, a case, a parallel, or bring it out to the top)."""
    if into[: len(loc)] == loc:
        raise SpecEditError(loc, "a step cannot be moved into itself", "pick a place outside it")
    step = editor.get(loc)
    parent = loc[:-1]
    target = list(into)
    if target[: len(parent)] == list(parent) and len(target) > len(parent):
        index = target[len(parent)]
        if isinstance(index, int) and isinstance(loc[-1], int) and index > loc[-1]:
            target[len(parent)] = index - 1  # the list shrinks before it grows
    holder = _value(editor, into)
    if not isinstance(holder, list | dict) and holder is not None:
        raise SpecEditError(into, "steps cannot be moved here", "pick a list of steps or cases")
    editor.delete(loc)
    place = tuple(target)
    if isinstance(holder, dict) or place[-1:] == ("cases",):
        key = name.strip() or str(step.get("id") or "case")
        if holder is None:
            editor.set(place, {key: step})
        else:
            editor.insert((*place, key), step)
        return (*place, key)
    if holder is None:
        editor.set(place, [step])
        return (*place, 0)
    size = len(editor.get(place))
    editor.insert((*place, size), step)
    return (*place, size)


def _value(editor: SpecEditor, loc: Loc) -> Any:
    """The value at ``loc``, None if it is not there (its parent must be)."""
    try:
        return editor.get(loc)
    except SpecEditError:
        editor.get(loc[:-1])  # the place itself must exist
        return None


def _ids(value: Any) -> set[str]:
    """Every step id in ``value``, however nested."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            found.add(value["id"])
        for item in value.values():
            found |= _ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _ids(item)
    return found


def _free_id(kind: str, taken: set[str]) -> str:
    n = 1
    while f"{kind}_{n}" in taken:
        n += 1
    return f"{kind}_{n}"
