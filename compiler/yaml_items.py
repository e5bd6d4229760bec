"""Removing, inserting, moving and replacing an item of a YAML list or mapping, its comments
going with it.

ruamel.yaml keeps the lines between two items on the last value of the item above them:
``"# a's agent\\n\\n  # about b\\n"`` hangs on step a's last key. Deleting step a that way
would delete the comment about step b. Here those lines are split: the end-of-line comment
and lines indented deeper than the items stay with the item above; the lines from the first
one indented no deeper than the items (blank lines included) *lead* the item below, and
after the last item they are what follows the list. An item removed or moved takes its lead
with it; the first item's lead (a file's header, a list's heading) stays with the list.

Items of a flow collection (``[a, b]``, ``{x: 1}``) hold no comments of their own: they are
removed and inserted as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

__all__ = ["insert_item", "move_item", "remove_item", "replace_item"]

Container = CommentedMap | CommentedSeq


def remove_item(parent: Any, key: Any, container: Container, index: int) -> Any:
    """Remove item ``index`` of ``container`` (``parent[key]``) with its lead; return it."""
    return _remove(parent, key, container, index)[1]


def insert_item(
    parent: Any, key: Any, container: Container, index: int, value: Any, name: Any = None
) -> None:
    """Insert ``value`` (under ``name`` in a mapping) before item ``index`` of ``container``
    (``parent[key]``), parted from its neighbours as the container's first two items are."""
    _insert(parent, key, container, index, (name, value, None), lead=None)


def move_item(parent: Any, key: Any, container: Container, index: int, to: int) -> None:
    """Move item ``index`` of ``container`` (``parent[key]``) to position ``to``, its lead
    and its own comments with it."""
    if index == to:
        return
    lead = _gap(container, index - 1) if index > 0 else None
    item = _remove(parent, key, container, index)
    _insert(parent, key, container, to, item, lead)


def replace_item(container: Container, index: int, value: Any) -> None:
    """Set item ``index`` of ``container`` to ``value``, keeping what follows it."""
    after = _gap(container, index)
    container[_key(container, index)] = value
    _set_gap(container, index, after)


_Item = tuple[Any, Any, Any]
"""(its key in a mapping, its value, ruamel.yaml's comment slots for it)."""


def _remove(parent: Any, key: Any, container: Container, index: int) -> _Item:
    after = _gap(container, index)
    _set_gap(container, index, [])  # taken from where ruamel.yaml kept it
    if index > 0:
        _set_gap(container, index - 1, after)
    elif len(container) > 1:  # the next item becomes the first: its lead goes on top
        _lead_list(parent, key, container, after)
    name = _key(container, index)
    slots = container.ca.items.pop(name, None)
    value = container.pop(name)  # a list's later slots move up with its items
    if not container and isinstance(parent, CommentedMap | CommentedSeq):
        # what followed the list now follows its (empty, flow) value in the parent; its
        # heading led the items that are gone
        at = key if isinstance(parent, CommentedSeq) else list(parent).index(key)
        container.ca.comment = None
        container.fa.set_flow_style()  # as ruamel.yaml writes it: `[]`, `{}`
        if isinstance(parent, CommentedMap) and key in parent.ca.items:
            parent.ca.items[key][3] = None
        _set_gap(parent, at, after)
    return name, value, slots


def _insert(
    parent: Any, key: Any, container: Container, index: int, item: _Item, lead: list[str] | None
) -> None:
    """Insert with ``lead`` above the item (None: a separator, as between the first two)."""
    name, value, slots = item
    separator = _separator(container)
    if index > 0:
        follows = _gap(container, index - 1)
        _set_gap(container, index - 1, separator if lead is None else lead)
    else:  # the list's heading stays on top; the old first item is parted from the new one
        _lead_list(parent, key, container, lead or [])
        follows = separator + _above(container, 0)
    if not container and isinstance(value, dict | list):
        container.fa.set_block_style()  # `[]` / `{}` given its first step or mapping
    if isinstance(container, CommentedSeq):
        container.insert(index, value)  # later slots move down with their items
        name = index
    else:
        container.insert(index, name, value)
    container.ca.items.pop(name, None)
    if slots is not None:
        container.ca.items[name] = slots
    _set_gap(container, index, follows)


def _key(container: Container, index: int) -> Any:
    return index if isinstance(container, CommentedSeq) else list(container)[index]


def _block(value: Any) -> bool:
    return isinstance(value, CommentedMap | CommentedSeq) and not value.fa.flow_style()


@dataclass
class _After:
    """Where ruamel.yaml keeps the lines after an item: on the last value written in it
    (its deepest last key: end-of-line comment, then lines), at the ``end`` of the lists
    and mappings it ends with, then above the next item (or at the container's ``end``)."""

    holder: Container
    key: Any
    """The trailing comment is ``holder.ca.items[key]``'s."""
    after_block_scalar: bool
    """A block scalar (``|``) ends at a line's start: no end-of-line comment can follow."""
    ends: list[Any]
    """The ``ca`` of each container whose ``end`` follows, innermost first."""
    above_next: list[Any] | None
    """The next item's comment slots (``[1]``: the lines above it); None after the last."""

    @property
    def at(self) -> int:
        return 0 if isinstance(self.holder, CommentedSeq) else 2


def _after(container: Container, index: int) -> _After:
    holder, key = container, _key(container, index)
    ends: list[Any] = []
    while _block(holder[key]) and len(holder[key]):
        holder = holder[key]
        ends.insert(0, holder.ca)
        key = _key(holder, len(holder) - 1)
    scalar = isinstance(holder[key], LiteralScalarString | FoldedScalarString)
    if index + 1 < len(container):
        above = _slots(container, _key(container, index + 1))
        return _After(holder, key, scalar, ends, above)
    return _After(holder, key, scalar, [*ends, container.ca], None)


def _slots(container: Container, key: Any) -> list[Any]:
    slots = container.ca.items.setdefault(key, [None, None, None, None])
    slots.extend([None] * (4 - len(slots)))
    return slots


def _gap(container: Container, index: int) -> list[str]:
    """The lines after item ``index`` that lead the next item (or follow the container)."""
    if index < 0 or not _block(container):
        return []
    _, lines = _read(_after(container, index))
    column = container.lc.col or 0
    start = len(lines)
    while start > 0 and _outside(lines[start - 1], column):
        start -= 1
    return lines[start:]


def _set_gap(container: Container, index: int, gap: list[str]) -> None:
    """Make ``gap`` the lines after item ``index`` (all on its trailing comment)."""
    if index < 0 or not _block(container):
        return
    after = _after(container, index)
    eol, lines = _read(after)
    own = lines[: len(lines) - len(_gap(container, index))]
    for ca in after.ends:
        ca.end = []
    if after.above_next is not None:
        after.above_next[1] = None
    _write(after, eol, own + gap)


def _outside(line: str, column: int) -> bool:
    stripped = line.lstrip(" ")
    return not stripped or len(line) - len(stripped) <= column


def _read(after: _After) -> tuple[str, list[str]]:
    """(end-of-line comment, the full lines below it) after an item."""
    token = _slots(after.holder, after.key)[after.at]
    eol, lines = "", []
    if token is not None and after.after_block_scalar:
        lines = _token_lines(token)
    elif token is not None:
        eol, *lines = token.value.removesuffix("\n").split("\n")
    for ca in after.ends:
        lines += [line for token in ca.end or [] for line in _token_lines(token)]
    if after.above_next is not None:
        lines += [line for token in after.above_next[1] or [] for line in _token_lines(token)]
    return eol, lines


def _above(container: Container, index: int) -> list[str]:
    """The lines ruamel.yaml keeps right above item ``index`` (none past the last)."""
    if index >= len(container):
        return []
    tokens = _slots(container, _key(container, index))[1] or []
    return [line for token in tokens for line in _token_lines(token)]


def _token_lines(token: CommentToken) -> list[str]:
    """A comment token written on lines of its own, as those lines (indented)."""
    first, *rest = token.value.removesuffix("\n").split("\n")
    return [first and " " * token.column + first, *rest]


def _write(after: _After, eol: str, lines: list[str]) -> None:
    slots = _slots(after.holder, after.key)
    if not eol and not lines:
        slots[after.at] = None
    elif after.after_block_scalar:
        first = lines[0].lstrip(" ")
        text = "\n".join([first, *lines[1:]]) + "\n"
        slots[after.at] = CommentToken(text, CommentMark(_indent(lines[0])))
    else:
        old = slots[after.at]
        mark = old.start_mark if old is not None and eol else CommentMark(0)
        slots[after.at] = CommentToken("\n".join([eol, *lines]) + "\n", mark)


def _separator(container: Container) -> list[str]:
    """The blank lines that part the container's first two items (none if it has one)."""
    gap = _gap(container, 0) if len(container) > 1 else []
    blank = 0
    while blank < len(gap) and not gap[blank].strip():
        blank += 1
    return [""] * blank


def _lead_list(parent: Any, key: Any, container: Container, lines: list[str]) -> None:
    """Add ``lines`` above the container's first item (where ruamel.yaml keeps its heading)."""
    if not lines:
        return
    tokens = [CommentToken(line.lstrip(" ") + "\n", CommentMark(_indent(line))) for line in lines]
    if parent is None:
        if container.ca.comment is None:
            container.ca.comment = [None, []]
        if container.ca.comment[1] is None:
            container.ca.comment[1] = []
        container.ca.comment[1].extend(tokens)
    elif isinstance(parent, CommentedMap):
        slots = parent.ca.items.setdefault(key, [None, None, None, None])
        slots[3] = (slots[3] or []) + tokens
    # a list directly inside a list has nowhere to keep a heading: the lines are dropped


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" ")) if line.strip() else 0
