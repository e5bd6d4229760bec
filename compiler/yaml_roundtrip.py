"""Writing back a YAML file that ruamel.yaml edited, changing only the lines the edit changed.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow/block style, but
what it writes is not quite the file it read: a flow mapping written over two lines comes
back on one, ``[{output: x}]`` as ``[output: x]``. So a file is never written out whole:

    original ── load, dump ──▶ before     (the file as ruamel.yaml writes it)
    edited tree ── dump ─────▶ after      (the same, edited)

the lines that differ between ``before`` and ``after`` replace the same lines of the
original; where those lines are ones that ruamel.yaml writes differently from the original,
the whole such stretch is taken from ``after``. Every other line keeps the original's bytes,
so a file saved unedited is byte-identical. The result is read again and must hold exactly
the edited data; if it does not (an original laid out too far from ruamel.yaml's way to
splice into), ``after`` is what is written.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.events import MappingEndEvent, SequenceEndEvent
from ruamel.yaml.util import load_yaml_guess_indent

__all__ = ["dump", "load", "plain", "same_data", "splice", "yaml_for"]

_WIDTH = 100_000
"""Never fold a long line: the original's lines are kept, not re-wrapped."""


def yaml_for(text: str) -> YAML:
    """A round-trip ruamel.yaml set up to write as ``text`` is written (indentation, quotes)."""
    yaml = YAML()  # round-trip, YAML 1.2: on/off/yes/no are text, as compiler.yamlfile reads
    yaml.Emitter = _Emitter
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    _, sequence, offset = load_yaml_guess_indent(text)
    if sequence is None:  # no list to learn from: as the sample specs are written
        sequence, offset = 4, 2
    yaml.indent(mapping=2, sequence=sequence, offset=offset or 0)
    return yaml


class _Emitter(RoundTripEmitter):  # type: ignore[misc]
    """ruamel.yaml's emitter, minus one bug (0.18 and 0.19): after a flow collection with an
    end-of-line comment, a block mapping that follows in the same list had its keys written
    on one line (``- id: r agent: s``) when the list had a comment above it."""

    def expect_flow_mapping_key(self) -> None:
        ending = isinstance(self.event, MappingEndEvent)
        super().expect_flow_mapping_key()
        if ending:
            self.no_newline = False  # what the branch without a comment does

    def expect_flow_sequence_item(self) -> None:
        ending = isinstance(self.event, SequenceEndEvent)
        super().expect_flow_sequence_item()
        if ending:
            self.no_newline = False


def load(text: str, yaml: YAML) -> Any:
    """``text`` as ruamel.yaml's commented tree."""
    return yaml.load(text)


def dump(tree: Any, yaml: YAML) -> str:
    """``tree`` written as text (ruamel.yaml marks comments as written: dump a tree once)."""
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    """``value`` (a tree or part of one) as plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    for kind in (bool, int, float, str):  # ruamel.yaml's styled scalars are subclasses
        if isinstance(value, kind):
            return kind(value)
    return value


def same_data(one: Any, other: Any) -> bool:
    """Whether two trees hold the same values in the same order (comments and style aside)."""
    return _shape(one) == _shape(other)


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return ("map", tuple((_shape(k), _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(_shape(v) for v in value))
    if isinstance(value, bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, datetime.date):
        return ("date", value.isoformat())
    return (type(value).__mro__[-2].__name__, value)  # str and its ruamel.yaml subclasses


def splice(original: str, before: str, after: str) -> str:
    """``original`` with the lines that ``before`` → ``after`` changed (module docstring)."""
    if before == after:
        return original
    o, a, b = (text.splitlines(keepends=True) for text in (original, before, after))
    layout = SequenceMatcher(None, a, o, autojunk=False).get_opcodes()
    edit = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    stretches = [(a1, a2) for tag, a1, a2, _, _ in layout if tag != "equal" and a2 > a1]
    out: list[str] = []
    kept = 0  # the lines of ``o`` up to which ``out`` holds the result
    for start, end in _hunks(edit, stretches):
        upto = _boundary(layout, start, first=False)
        out += o[kept:upto]
        out += b[_boundary(edit, start, first=True) : _boundary(edit, end, first=False)]
        kept = max(upto, _boundary(layout, end, first=True))
    out += o[kept:]
    return "".join(out)


def _hunks(edit: list[Any], stretches: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The boundaries of ``a`` between which ``b`` is taken: each change, widened over the
    stretches the original writes differently, those that overlap or touch merged."""
    spans = []
    for tag, a1, a2, _, _ in edit:
        if tag == "equal":
            continue
        start, end, grown = a1, a2, True
        while grown:
            grown = False
            for s1, s2 in stretches:
                inside = s1 < start < s2 if start == end else start < s2 and s1 < end
                if inside and (s1 < start or s2 > end):
                    start, end, grown = min(start, s1), max(end, s2), True
        spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return iter(merged)


def _boundary(opcodes: list[Any], at: int, *, first: bool) -> int:
    """Where boundary ``at`` of the first sequence falls in the second.

    Lines only the second sequence has (an insertion) sit on one boundary of the first:
    ``first`` gives the position before them, otherwise after them.
    """
    found = []
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 <= at <= i2:
            if tag == "equal":
                found.append(j1 + at - i1)
            if at == i1:
                found.append(j1)
            if at == i2:
                found.append(j2)
    if not found:  # both sequences empty: no opcodes at all
        return at
    return min(found) if first else max(found)
