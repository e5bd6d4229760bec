"""Reading the YAML settings files of the servers (``podium serve``'s clients file, the
console's people file): parsed with line numbers, checked against their model, every
problem reported at once with its line as ``SetupError``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from podium.activities.errors import SetupError
from podium.compiler.problems import Reporter
from podium.compiler.yamlfile import FileReadError, read_yaml
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def read_checked(path: Path, model: type[M], what: str) -> tuple[Any, M, Reporter]:
    """``(document, parsed, report)`` of the ``what`` at ``path`` (``report`` takes further
    problems, with ``document`` to find their lines).

    Raises:
        SetupError: unreadable, not YAML, or not what ``model`` expects.
    """
    report = Reporter(path)
    try:
        doc = read_yaml(path, what)
    except FileReadError as exc:
        report.file_error(exc)
        raise problems_error(report, what) from None
    parsed = report.validate(doc, model)
    if parsed is None:
        raise problems_error(report, what)
    return doc, parsed, report


def problems_error(report: Reporter, what: str) -> SetupError:
    """One ``SetupError`` listing every problem ``report`` holds."""
    count = len(report.problems)
    head = f"the {what} has {count} problem{'s' if count != 1 else ''}:"
    return SetupError("\n".join([head, *(str(p) for p in report.problems)]))
