"""Reading a run's input from ``--input`` / ``--input-file``.

Files are read like specs (UTF-8 with or without a byte-order mark, UTF-16 with one;
anything else is refused with the line of the first bad byte); ``.json`` files and
``--input`` as JSON, other files as YAML 1.2. A key written twice is an error, never
"the last one wins".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from podium.activities.errors import SetupError
from podium.compiler.problems import Problem
from podium.compiler.problems import format_loc as _where
from podium.compiler.textfile import read_text
from podium.compiler.validation_errors import describe
from podium.compiler.yamlfile import FileReadError, parse_yaml

EXAMPLE = """example: --input '{"company": "Acme"}'"""


class InputError(SetupError, ValueError):
    """The run input could not be read."""


def read_input(text: str | None, file: str | None) -> dict[str, Any]:
    """Parse the run input (JSON text, or a JSON/YAML file); ``{}`` if neither is given."""
    if text is not None and file is not None:
        raise InputError("give either --input or --input-file, not both")
    if file is None:
        return _json(text, "--input", None) if text is not None else {}
    path = Path(file)
    try:
        content = read_text(path, "it")
    except FileReadError as exc:
        raise _error(exc, prefix=f"cannot read input file {file}: ") from None
    if not content.strip():
        raise InputError(
            str(Problem("the input file is empty", path, hint="write a JSON object, e.g. {}"))
        )
    if path.suffix.lower() == ".json":
        return _json(content, file, path)
    try:
        value = parse_yaml(content, path).data
    except FileReadError as exc:
        raise _error(exc) from None
    return _object(value, file, path)


def _json(text: str, source: str, path: Path | None) -> dict[str, Any]:
    if not text.strip():
        raise InputError(f"{source} is empty; {EXAMPLE}")
    try:
        value = json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            _say(
                f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                path,
                exc.lineno,
                EXAMPLE,
            )
        ) from None
    except _DuplicateKey as exc:
        raise InputError(_duplicate_message(text, source, path, exc.key)) from None
    except ValueError as exc:  # NaN / Infinity
        raise InputError(_say(f"{source} is not valid JSON: {exc}", path)) from None
    except RecursionError:
        raise InputError(_say(f"{source} is nested too deeply", path)) from None
    return _object(value, source, path)


def _say(message: str, path: Path | None, line: int | None = None, hint: str = "") -> str:
    if path is not None:
        return str(Problem(message, path, line, hint=hint))
    return message + (f"\n    hint: {hint}" if hint else "")


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (write a number, or null)")


def _duplicate_message(text: str, source: str, path: Path | None, key: str) -> str:
    """Where the key is written twice, with lines (found by reading the JSON as YAML)."""
    try:
        parse_yaml(text, path or Path(source))
    except FileReadError as exc:
        found = [i for i in exc.issues if "duplicate key" in i.message]
        if found:
            return "\n".join(
                _line(exc.path, i.line, _where(i.loc), i.message, i.hint) for i in found
            )
    return _say(
        f"{source}: duplicate key {key!r} in a JSON object; only the last one would be kept",
        path,
        hint="keep one of them: remove or rename the other",
    )


def _object(value: Any, source: str, path: Path | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(
            _say(
                f"{source} must be a JSON object (a mapping of names to values), "
                f"got {describe(value)}",
                path,
                hint=EXAMPLE,
            )
        )
    return value


def _error(exc: FileReadError, prefix: str = "") -> InputError:
    lines = []
    for i in exc.issues:
        if i.line is None and prefix:  # the file as a whole (missing, a folder, unreadable)
            lines.append(prefix + i.message + (f"\n    hint: {i.hint}" if i.hint else ""))
        else:
            lines.append(_line(exc.path, i.line, _where(i.loc), i.message, i.hint))
    return InputError("\n".join(lines))


def _line(path: Path, line: int | None, where: str, message: str, hint: str) -> str:
    return str(Problem(message, path, line, where, hint))
