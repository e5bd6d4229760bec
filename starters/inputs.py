"""Reading a run's input from ``--input`` / ``--input-file``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class InputError(ValueError):
    """The run input could not be read."""


def read_input(text: str | None, file: str | None) -> dict[str, Any]:
    """Parse the run input (JSON text, or a JSON/YAML file); ``{}`` if neither is given."""
    if text is not None and file is not None:
        raise InputError("give either --input or --input-file, not both")
    source = "--input"
    if file is not None:
        source = file
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read input file {file}: {exc.strerror}") from None
    if text is None:
        return {}
    try:
        value = json.loads(text) if file is None or file.endswith(".json") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; "
            """example: --input '{"company": "Acme"}'"""
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(value, dict):
        raise InputError(f"{source} must be a JSON object, got {type(value).__name__}")
    return value
