"""Conditional routing: a value picks one of several cases, with an optional default."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from podium.activities.errors import NoRoute

T = TypeVar("T")


def case_key(value: Any) -> str:
    """How a value is matched against case names (YAML keys): ``true``, ``3``, ``billing``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, sort_keys=True)


def choose_case(value: Any, cases: Mapping[str, T], default: T | None = None) -> tuple[str, T]:
    """``(case name, case)`` for ``value``; ``("default", default)`` if none matches.

    Raises:
        NoRoute: nothing matches and there is no default.
    """
    key = case_key(value)
    if key in cases:
        return key, cases[key]
    if default is not None:
        return "default", default
    known = ", ".join(cases) or "none"
    raise NoRoute(f"value {key!r} matches no case (cases: {known}) and there is no default")
