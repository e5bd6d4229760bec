"""A unified diff as rows a page can draw: each line with its old and new line numbers,
whether it was removed, added or kept, and — in a changed line pair — which words changed.

    rows = diff_rows(old_text, new_text)          # two texts (a spec before and after)
    rows = rows_of(history.diff(1, 2))            # a unified diff someone made already

The console shows them with the ``diff(rows)`` macro of ``templates/_diff.html`` (the
spec history pages, the builder, the planner's proposals). Only the lines of hunks become
rows: file headers (``---``/``+++``, ``diff --git``…) are left out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

__all__ = ["DiffRow", "Piece", "diff_rows", "rows_of"]

Kind = Literal["hunk", "context", "removed", "added", "no-newline"]
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
WORD = re.compile(r"\w+|\s+|[^\w\s]")
SIMILAR = 0.4
"""A changed pair whose words are less alike than this is shown whole (no highlights):
marking nearly every word of a rewritten line says less than marking none."""
NO_NEWLINE = "\\ No newline at end of file"


class Piece(NamedTuple):
    """A run of a line's text, and whether it is a changed part of a changed line pair."""

    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One row of a diff.

    ``kind``: ``hunk`` (a ``@@ -12,4 +12,5 @@`` header: ``old``/``new`` are where it starts),
    ``context`` (a line both sides have), ``removed``, ``added``, or ``no-newline`` (the line
    above is the file's last and ends without a line break). ``old``/``new``: the line's
    number in each side (None on the side that lacks it). ``pieces``: the text in runs,
    the changed words of a removed/added pair marked.
    """

    kind: Kind
    text: str
    old: int | None = None
    new: int | None = None
    pieces: tuple[Piece, ...] = ()

    @property
    def marker(self) -> str:
        """The sign before the line (``−``, ``+`` or nothing), as in a unified diff."""
        return {"removed": "−", "added": "+"}.get(self.kind, "")


def diff_rows(old: str, new: str, context: int = 3) -> list[DiffRow]:
    """The rows of the unified diff from text ``old`` to text ``new`` (none if they are the
    same), with ``context`` unchanged lines around each change."""
    before, after = _lines(old), _lines(new)
    marked: list[str] = []
    made = difflib.unified_diff(before, after, n=context, lineterm="")
    for count, line in enumerate(made):
        marked.append(line.removesuffix("\n"))
        # a text's last line may lack its line break (the two file headers come first)
        if count >= 2 and not line.startswith("@@") and not line.endswith("\n"):
            marked.append(NO_NEWLINE)
    return rows_of(marked)


def rows_of(diff: str | Iterable[str]) -> list[DiffRow]:
    """The rows of a unified diff (its text, or its lines as ``difflib.unified_diff`` yields
    them); lines outside hunks are left out."""
    lines = diff.split("\n") if isinstance(diff, str) else diff
    rows: list[DiffRow] = []
    old = new = old_left = new_left = 0
    for raw in lines:
        line = raw.removesuffix("\n").removesuffix("\r")
        header = HUNK.match(line)
        if header and not (old_left or new_left):
            old, new = int(header[1]), int(header[3])
            old_left = int(header[2]) if header[2] is not None else 1
            new_left = int(header[4]) if header[4] is not None else 1
            rows.append(DiffRow("hunk", line, old, new))
        elif line.startswith("\\") and rows and rows[-1].kind != "hunk":
            rows.append(DiffRow("no-newline", ""))
        elif line.startswith("-") and old_left:
            rows.append(DiffRow("removed", line[1:], old=old))
            old, old_left = old + 1, old_left - 1
        elif line.startswith("+") and new_left:
            rows.append(DiffRow("added", line[1:], new=new))
            new, new_left = new + 1, new_left - 1
        elif (line.startswith(" ") or line == "") and old_left and new_left:
            rows.append(DiffRow("context", line[1:], old, new))
            old, new, old_left, new_left = old + 1, new + 1, old_left - 1, new_left - 1
    return _highlighted(rows)


def _lines(text: str) -> list[str]:
    """``text``'s lines, each with its ``\\n`` (only ``\\n`` ends a line, as in YAML)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def _highlighted(rows: list[DiffRow]) -> list[DiffRow]:
    """``rows`` with pieces: in each block of removed lines followed by added lines, the
    n-th removed and n-th added line are a pair, their differing words marked."""
    done = [row if row.pieces else _whole(row) for row in rows]
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end].kind in ("removed", "no-newline"):
            end += 1
        removed = [i for i in range(start, end) if rows[i].kind == "removed"]
        added_end = end
        while added_end < len(rows) and rows[added_end].kind in ("added", "no-newline"):
            added_end += 1
        added = [i for i in range(end, added_end) if rows[i].kind == "added"]
        for r, a in zip(removed, added, strict=False):
            done[r], done[a] = _pair(rows[r], rows[a])
        start = max(added_end, start + 1)
    return done


def _whole(row: DiffRow) -> DiffRow:
    return DiffRow(row.kind, row.text, row.old, row.new, (Piece(row.text, False),))


def _pair(removed: DiffRow, added: DiffRow) -> tuple[DiffRow, DiffRow]:
    """The two lines with the words that differ between them marked."""
    a, b = WORD.findall(removed.text), WORD.findall(added.text)
    match = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if match.ratio() < SIMILAR:
        return _whole(removed), _whole(added)
    left: list[Piece] = []
    right: list[Piece] = []
    for op, i1, i2, j1, j2 in match.get_opcodes():
        _add(left, "".join(a[i1:i2]), op != "equal")
        _add(right, "".join(b[j1:j2]), op != "equal")
    return (
        DiffRow(removed.kind, removed.text, removed.old, removed.new, tuple(left)),
        DiffRow(added.kind, added.text, added.old, added.new, tuple(right)),
    )


def _add(pieces: list[Piece], text: str, changed: bool) -> None:
    """Append ``text`` to ``pieces``, joining it to the last piece when both are alike."""
    if not text:
        return
    if pieces and pieces[-1].changed == changed:
        pieces[-1] = Piece(pieces[-1].text + text, changed)
    else:
        pieces.append(Piece(text, changed))
