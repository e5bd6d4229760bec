"""Compile errors: what is wrong, where (file, line, place), and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, catalog or input."""

    message: str
    file: Path | None = None
    line: int | None = None
    where: str = ""
    hint: str = ""

    def __str__(self) -> str:
        place = str(self.file) if self.file else "<spec>"
        if self.line:
            place += f":{self.line}"
        text = f"{place}: {self.where + ': ' if self.where else ''}{self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class CompileError(Exception):
    """A spec could not be compiled; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        super().__init__("\n".join([head, *(str(p) for p in problems)]))


def format_loc(loc: tuple[str | int, ...]) -> str:
    """``('steps', 1, 'agent')`` → ``steps[1].agent``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
