"""Editing a spec file by key path: the lines an edit changes change, the rest stays as written.

    editor = SpecEditor.open("specs/deal_review.yaml")
    editor.set(("steps", 1, "agent"), "risk-aggregator")
    editor.insert(("steps", 0, "parallel", 3), {"id": "tax", "agent": "tax-analyst"})
    editor.move(("steps", 2), 0)
    editor.delete(("steps", 0, "parallel", 2, "optional"))
    editor.save()       # refused if the file changed on disk since it was opened

A place is a key path, as compile problems name them: ``("steps", 0, "parallel", 1)`` or
``parse_loc("steps[0].parallel[1]")``; ``locate_step("risk")`` finds a step's. Steps sit in
lists (``steps``, a parallel's ``parallel``, a branch's ``steps``), in mappings by name (a
route's ``cases``; a supervise's ``team`` holds its members so) and alone (a route's
``default``, a refine's ``producer`` and ``reviewer``, a map's ``step``, ``compensate``):
``insert``, ``delete`` and ``move`` work on any list or mapping, ``set`` and ``delete`` on a
single step as on any value.

Each edit is made on the text at once — ruamel.yaml's round-trip tree, comments moved with
their items (``compiler.yaml_items``), written back into the original text
(``compiler.yaml_roundtrip``) — so ``editor.text`` is always what ``save`` writes, and an
unedited file is saved byte for byte as it was. An edit that cannot be made raises
``SpecEditError`` (the place, what is wrong, a hint) and changes nothing. Whether the spec
compiles is the compiler's to say: an edit is refused here only if its value has the wrong
type for its place (``optional: maybe``) or names a key the spec language lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from podium.compiler.file_writing import encoding_of, read_bytes, write_atomically
from podium.compiler.spec import SpecFile
from podium.compiler.spec_paths import (
    SpecEditError,
    find_step,
    holder_of,
    index_of,
    parse_loc,
    position,
    value_at,
)
from podium.compiler.textfile import FileIssue, FileReadError, Loc, read_text
from podium.compiler.validation_errors import is_union_tag, translate
from podium.compiler.yaml_items import insert_item, move_item, remove_item, replace_item
from podium.compiler.yaml_roundtrip import dump, load, plain, same_data, splice, yaml_for
from podium.compiler.yamlfile import parse_yaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

__all__ = ["SpecEditError", "SpecEditor", "parse_loc"]


class SpecEditor:
    """A spec's text, edited by key path (module docstring); ``save`` writes it."""

    def __init__(
        self,
        text: str,
        path: Path | None = None,
        *,
        model: type[BaseModel] | None = SpecFile,
        original: bytes | None = None,
    ):
        """Args:
        text: the spec's text.
        path: its file (where ``save`` writes, and named in errors).
        model: what an edited value must fit (``None``: any YAML, e.g. for a catalog
            give ``compiler.catalog.CatalogFile``).
        original: the file's bytes, to write it back in their encoding and newlines.
        """
        self.path = path
        self.model = model
        self._bom, self._codec = encoding_of(original or b"")
        self._crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
        self._text = text.replace("\r\n", "\n") if self._crlf else text
        self._on_disk = original if original is not None else self.encoded()
        try:
            parse_yaml(self._text, path or Path("<spec>"))  # repeated keys, bad YAML: lines
            load(self._text, yaml_for(self._text))
        except YAMLError as exc:
            issue = FileIssue(f"not valid YAML: {exc}", hint="fix the file by hand first")
            raise FileReadError(path or Path("<spec>"), [issue]) from None

    @classmethod
    def open(cls, path: str | Path, model: type[BaseModel] | None = SpecFile) -> SpecEditor:
        """The spec at ``path``; ``FileReadError`` if it cannot be read as YAML."""
        path = Path(path)
        text = read_text(path, "spec")
        return cls(text, path, model=model, original=path.read_bytes())

    @property
    def text(self) -> str:
        """The spec as ``save`` writes it."""
        return self._text.replace("\n", "\r\n") if self._crlf else self._text

    @property
    def changed(self) -> bool:
        """Whether the text differs from the file's."""
        return self.encoded() != self._on_disk

    def encoded(self) -> bytes:
        """The text in the file's encoding (its byte-order mark kept)."""
        return self._bom + self.text.encode(self._codec)

    def get(self, loc: Loc) -> Any:
        """The value at ``loc``, as plain lists, dicts and scalars."""
        return plain(value_at(load(self._text, yaml_for(self._text)), loc))

    def set(self, loc: Loc, value: Any) -> None:
        """Set the value at ``loc`` (a new key of a mapping is added at its end)."""

        def change(tree: Any) -> None:
            parent, key, container = holder_of(tree, loc)
            name = loc[-1]
            if isinstance(container, CommentedMap) and isinstance(name, str):
                if name not in container:
                    insert_item(
                        parent, key, container, len(container), _node(loc, value, container), name
                    )
                    return
            index = index_of(tree, container, loc)
            replace_item(container, index, _node(loc, value, container, container[name]))

        self._edit(loc, change)

    def delete(self, loc: Loc) -> None:
        """Remove the item or key at ``loc`` (its comments with it)."""

        def change(tree: Any) -> None:
            parent, key, container = holder_of(tree, loc)
            remove_item(parent, key, container, index_of(tree, container, loc))

        self._edit(None, change)

    def insert(self, loc: Loc, value: Any, at: int | None = None) -> None:
        """Insert ``value`` at ``loc``: before item ``loc[-1]`` of a list (its length
        appends), or as the new key ``loc[-1]`` of a mapping, at position ``at`` (default:
        last)."""

        def change(tree: Any) -> None:
            parent, key, container = holder_of(tree, loc)
            name, size = loc[-1], len(container)
            if isinstance(container, CommentedSeq):
                where = position(loc, name, size)
            elif not isinstance(name, str):
                raise SpecEditError(loc, f"{name!r} is not a key: this is a mapping")
            elif name in container:
                raise SpecEditError(loc, f"there is already a key {name!r} here", "set it instead")
            else:
                where = size if at is None else position(loc, at, size)
            insert_item(parent, key, container, where, _node(loc, value, container), name)

        self._edit(loc, change)

    def move(self, loc: Loc, to: int) -> None:
        """Move the item or key at ``loc`` to position ``to`` of its list or mapping."""

        def change(tree: Any) -> None:
            parent, key, container = holder_of(tree, loc)
            index = index_of(tree, container, loc)
            move_item(parent, key, container, index, position(loc, to, len(container) - 1))

        self._edit(None, change)

    def locate_step(self, step_id: str) -> Loc | None:
        """Where the step with id ``step_id`` is, wherever it is nested."""
        return find_step(plain(load(self._text, yaml_for(self._text))), step_id)

    def save(self, path: str | Path | None = None) -> None:
        """Write the text to ``path`` (default: the file it came from), all or nothing.

        Refused (``SpecEditError``) when the file changed on disk since it was read: the
        edits would undo someone else's save.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise SpecEditError((), "this spec has no file to save to", "give a path")
        if target == self.path and (read_bytes(target) or b"") != self._on_disk:  # (new: b"")
            raise SpecEditError(
                (),
                f"{target} changed on disk since it was opened",
                "open it again and redo the edits, so nobody's changes are lost",
            )
        data = self.encoded()
        try:
            write_atomically(target, data)
        except OSError as exc:
            raise SpecEditError((), f"cannot write {target}: {exc.strerror or exc}") from None
        if target == self.path:
            self._on_disk = data

    def _edit(self, check: Loc | None, change: Callable[[Any], None]) -> None:
        yaml = yaml_for(self._text)
        tree = load(self._text, yaml)
        if tree is None:  # an empty file: a spec is a mapping
            tree = CommentedMap()
        change(tree)
        if check is not None:
            self._check(tree, check)
        after = dump(tree, yaml)
        unedited = load(self._text, yaml)
        before = "" if unedited is None else dump(unedited, yaml)  # only comments, or empty
        spliced = splice(self._text, before, after)
        for text in (spliced, after):  # ruamel.yaml's own, where splicing went wrong
            if _holds(text, tree, yaml):
                self._text = text
                return
        raise SpecEditError(
            check or (),
            "this edit cannot be written into the file without changing other values",
            "make it in a text editor",
        )

    def _check(self, tree: Any, loc: Loc) -> None:
        """Refuse a value of the wrong type for its place, or a key the model lacks."""
        if self.model is None:
            return
        try:
            self.model.model_validate(tree)
            return
        except ValidationError as exc:
            errors = [e for e in exc.errors() if _clean(e["loc"])[: len(loc)] == tuple(loc)]
        misfits = {_clean(e["loc"]) for e in errors if _misfit(e["type"])}
        found = [t for t in translate(errors) if t.loc in misfits]
        if found:
            raise SpecEditError(found[0].loc, "; ".join(t.message for t in found), found[0].hint)


def _holds(text: str, tree: Any, yaml: Any) -> bool:
    """Whether ``text`` reads back as exactly ``tree``'s data."""
    try:
        return same_data(load(text, yaml), tree)
    except YAMLError:
        return False


def _misfit(kind: str) -> bool:
    """A pydantic error saying the value is of the wrong type, or the key unknown."""
    return kind.endswith(("_type", "_parsing")) or kind in (
        "literal_error",
        "extra_forbidden",
        "int_from_float",
    )


def _clean(loc: Any) -> Loc:
    return tuple(p for p in loc if not is_union_tag(p))


def _node(loc: Loc, value: Any, container: Any, old: Any = None) -> Any:
    """``value`` as a ruamel.yaml node, flow-styled where its neighbours or ``old`` are;
    ``old`` itself if it holds the same (so ``0.50`` stays written so, comments stay)."""
    node = _convert(value, loc)
    if old is not None and same_data(old, node):
        return old
    siblings = list(container.values() if isinstance(container, dict) else container)
    styled = [v for v in [old] if isinstance(v, CommentedMap | CommentedSeq)] or [
        v for v in siblings if isinstance(v, CommentedMap | CommentedSeq)
    ]
    if isinstance(node, CommentedMap | CommentedSeq) and styled:
        if all(v.fa.flow_style() for v in styled) and not container.fa.flow_style():
            node.fa.set_flow_style()
    return node


def _convert(value: Any, loc: Loc) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            if not isinstance(key, str):
                raise SpecEditError(loc, f"key {key!r} is not text", "keys in a spec are names")
            node[key] = _convert(item, (*loc, key))
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(_convert(item, (*loc, n)) for n, item in enumerate(value))
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise SpecEditError(
        loc,
        f"{type(value).__name__} cannot be written in a spec",
        "give text, a number, true/false, null, a list or a mapping",
    )
