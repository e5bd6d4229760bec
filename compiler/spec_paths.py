"""Key paths into a spec: written (``steps[1].with.terms``), followed, and, when one leads
nowhere, said why — the places ``compiler.spec_editing`` edits, named as compile problems
name them (``problems.format_loc``)."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from podium.activities.errors import SetupError
from podium.compiler.problems import format_loc, suggest
from podium.compiler.textfile import Loc
from podium.compiler.validation_errors import describe
from podium.workflows.kinds.base import spec_keys

__all__ = [
    "SpecEditError",
    "find_step",
    "holder_of",
    "index_of",
    "parse_loc",
    "position",
    "value_at",
]


class SpecEditError(SetupError):
    """An edit cannot be made: its place is not in the spec, or its value does not fit."""

    def __init__(self, loc: Loc, message: str, hint: str = ""):
        self.loc = loc
        self.problem = message
        self.hint = hint
        said = f"{format_loc(loc) or 'the spec'}: {message}"
        super().__init__(f"{said}\n    hint: {hint}" if hint else said)


def parse_loc(text: str) -> Loc:
    """``steps[1].with.terms`` → ``("steps", 1, "with", "terms")`` (``format_loc``'s inverse)."""
    parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", text)
    loc = tuple(int(index) if index else key for index, key in parts)
    if not loc or format_loc(loc) != text:
        raise SpecEditError((), f"{text!r} is not a key path", "write it as steps[1].with.terms")
    return loc


def value_at(tree: Any, loc: Loc, depth: int | None = None) -> Any:
    """The value at ``loc`` (or its first ``depth`` parts); ``SpecEditError`` naming the
    first part that is not there."""
    node = tree
    for n, part in enumerate(loc[:depth]):
        here = loc[: n + 1]
        if isinstance(node, dict) and isinstance(part, str):
            if part not in node:
                raise SpecEditError(here, f"no key {part!r} here", suggest(part, node, "keys"))
            node = node[part]
        elif isinstance(node, list) and _is_index(part):
            if not 0 <= part < len(node):
                raise SpecEditError(here, f"no item {part}: {_size(node)}")
            node = node[part]
        elif isinstance(node, dict):
            raise SpecEditError(
                here, f"{part!r} is not a key: this is a mapping", suggest(str(part), node, "keys")
            )
        elif isinstance(node, list):
            raise SpecEditError(here, f"{part!r} is not an item number: {_size(node)}")
        else:
            raise SpecEditError(loc[:n], f"this is {describe(node)}: nothing is inside it")
    return node


def holder_of(tree: Any, loc: Loc) -> tuple[Any, Any, Any]:
    """(the list or mapping that holds ``loc``, where that is in its own parent: parent, key).

    Returned as ``(parent, key, holder)``; the parent is None for the document itself.
    """
    if not loc:
        raise SpecEditError((), "give the place of a value inside the spec", "e.g. steps[0].agent")
    holder = value_at(tree, loc, len(loc) - 1)
    if not isinstance(holder, dict | list):
        value_at(tree, loc)  # says why nothing is inside it
    parent = value_at(tree, loc, len(loc) - 2) if len(loc) > 1 else None
    return parent, (loc[-2] if len(loc) > 1 else None), holder


def index_of(tree: Any, holder: Any, loc: Loc) -> int:
    """Position in ``holder`` of the item or key ``loc[-1]``, which must be there."""
    value_at(tree, loc)
    return list(holder).index(loc[-1]) if isinstance(holder, dict) else int(loc[-1])


def position(loc: Loc, at: Any, last: int) -> int:
    """``at`` if it is a position from 0 to ``last``."""
    if not _is_index(at) or not 0 <= at <= last:
        raise SpecEditError(loc, f"position {at!r} is not one of 0 to {last}")
    return int(at)


def find_step(value: Any, step_id: str, loc: Loc = ()) -> Loc | None:
    """Where in ``value`` the step with id ``step_id`` is, however deeply nested."""
    if isinstance(value, dict):
        if value.get("id") == step_id and any(k in value for k in spec_keys()):
            return loc
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = find_step(item, step_id, (*loc, key))
        if found is not None:
            return found
    return None


def _is_index(part: Any) -> TypeGuard[int]:
    return isinstance(part, int) and not isinstance(part, bool)


def _size(node: list[Any]) -> str:
    return f"the list has {len(node)} items" + (f" (0 to {len(node) - 1})" if node else "")
