"""Compile errors: what is wrong, where (file, line, place), and how to fix it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from workflows.yamlfile import Loc, YamlDocument

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


class Reporter:
    """Collects problems while compiling, with the line of each place in its file."""

    def __init__(self, default_file: Path):
        self.default_file = default_file
        self.problems: list[Problem] = []

    def problem(self, doc: YamlDocument | None, loc: Loc, message: str, hint: str = "") -> None:
        """Record a problem at ``loc`` of ``doc`` (naming the step when inside one)."""
        file = doc.path if doc else self.default_file
        line = doc.line_of(loc) if doc else None
        where = format_loc(loc)
        step_id = _innermost_step_id(doc, loc) if doc is not None else None
        if step_id:
            where += f" (step {step_id!r})"
        self.problems.append(Problem(message, file, line, where, hint))

    def validate(self, doc: YamlDocument, model: type[M]) -> M | None:
        """Validate ``doc`` as ``model``; record every error; None if invalid."""
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
                self.problem(doc, loc, _pydantic_message(err), _pydantic_hint(err))
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
            and (
                "agent" in data
                or "parallel" in data
                or "map" in data
                or "route" in data
                or "refine" in data
                or "workflow" in data
                or "steps" in data
            )
        ):
            found = data["id"]
    return found


_UNION_TAGS = {
    "str",
    "int",
    "float",
    "bool",
    "CatalogFile",
    "RetryEntry",
    "FaultEntry",
    "QuorumEntry",
    "StepEntry",
    "MapEntry",
    "RouteEntry",
    "RefineEntry",
}


def _is_union_tag(part: Any) -> bool:
    # pydantic puts a union member's type name into loc ('str', 'list[str]', 'CatalogFile')
    return isinstance(part, str) and (part in _UNION_TAGS or "[" in part or "literal" in part)


def _pydantic_message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if err["type"] == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    return str(err["msg"]).removeprefix("Value error, ")


def _pydantic_hint(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "remove it or check its spelling (see `podium schema` for the allowed keys)"
    return ""


def suggest(word: str, known: Any, what: str) -> str:
    """``did you mean 'x'?`` or the list of known names."""
    names = sorted(known)
    close = difflib.get_close_matches(word, names, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(names[:12]) or "none"
    return f"known {what}: {shown}"
