"""Compile errors: what is wrong, where (file, line, place), and how to fix it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from podium.activities.errors import SetupError
from podium.compiler.validation_errors import translate
from podium.compiler.yamlfile import FileReadError, Loc, YamlDocument
from podium.workflows.kinds.base import spec_keys
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


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


class CompileError(SetupError):
    """A spec could not be compiled; ``problems`` lists every reason found.

    ``warnings`` (shown after the problems) are what was noticed besides.
    """

    def __init__(self, problems: list[Problem], warnings: list[str] | None = None):
        self.problems = problems
        self.warnings = list(warnings or [])
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        lines = [head, *(str(p) for p in problems), *(f"warning: {w}" for w in self.warnings)]
        super().__init__("\n".join(lines))


def format_loc(loc: tuple[str | int, ...]) -> str:
    """``('steps', 1, 'agent')`` → ``steps[1].agent``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Reporter:
    """Collects problems while compiling, with the line of each place in its file."""

    def __init__(self, default_file: Path):
        self.default_file = default_file
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        """What does not stop the spec from running but is likely a mistake (each once)."""

    def problem(self, doc: YamlDocument | None, loc: Loc, message: str, hint: str = "") -> None:
        """Record a problem at ``loc`` of ``doc`` (naming the step when inside one)."""
        self.problems.append(self._at(doc, loc, message, hint))

    def warn(self, doc: YamlDocument | None, loc: Loc, message: str, hint: str = "") -> None:
        """Record a warning at ``loc`` of ``doc``: shown, but the spec still runs."""
        text = str(self._at(doc, loc, message, hint))
        if text not in self.warnings:
            self.warnings.append(text)

    def _at(self, doc: YamlDocument | None, loc: Loc, message: str, hint: str) -> Problem:
        file = doc.path if doc else self.default_file
        line = doc.line_of(loc) if doc else None
        where = format_loc(loc)
        step_id = _innermost_step_id(doc, loc) if doc is not None else None
        if step_id:
            where += f" (step {step_id!r})"
        return Problem(message, file, line, where, hint)

    def file_error(self, exc: FileReadError) -> None:
        """Record why a file could not be read or parsed (each issue with its line)."""
        doc = exc.parsed if isinstance(exc.parsed, YamlDocument) else None
        for issue in exc.issues:
            if doc is not None:
                found = self._at(doc, issue.loc, issue.message, issue.hint)
                self.problems.append(replace(found, line=issue.line or found.line))
            else:
                where = format_loc(issue.loc)
                self.problems.append(
                    Problem(issue.message, exc.path, issue.line, where, issue.hint)
                )

    def validate(self, doc: YamlDocument, model: type[M]) -> M | None:
        """Validate ``doc`` as ``model``; record every error; None if invalid."""
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            for item in translate(exc.errors()):
                self.problem(doc, item.loc, item.message, item.hint)
            return None


def _innermost_step_id(doc: YamlDocument, loc: Loc) -> str | None:
    found = None
    data: Any = doc.data
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            break
        if (
            isinstance(data, dict)
            and isinstance(data.get("id"), str)
            and any(kind in data for kind in spec_keys())  # a step: named in its problems
        ):
            found = data["id"]
    return found


def suggest(word: str, known: Any, what: str) -> str:
    """``did you mean 'x'?`` or the list of known names."""
    names = sorted(known)
    close = difflib.get_close_matches(word, names, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(names[:12]) or "none"
    return f"known {what}: {shown}"
