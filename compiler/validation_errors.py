"""Pydantic's validation errors of a spec or catalog, said the way a spec's author thinks.

Pydantic reports a union (``agents: str | list[str] | CatalogFile``) once per member:
"Input should be a valid string", "… a valid list", and only then the real problem inside
the inline catalog. Here the members the value plainly is not are dropped when another
member got further, and the rest become one line: ``expected text or a mapping, got a
number (5)``.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

Loc = tuple[str | int, ...]

_UNION_TAGS = {
    "str",
    "int",
    "float",
    "bool",
    "none",
    "CatalogFile",
    "RetryEntry",
    "FaultEntry",
    "QuorumEntry",
    "StepEntry",
    "MapEntry",
    "RouteEntry",
    "RefineEntry",
    "CircuitEntry",
    "DeadlineEntry",
    "BudgetEntry",
    "StepBudgetEntry",
    "PiiEntry",
    "InjectionEntry",
}

_EXPECTED = {
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "none_required": "nothing (null)",
}


_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("greater than or equal to", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("less than or equal to", "le"),
}


@dataclass(frozen=True)
class Translated:
    """One problem from pydantic's errors: where (without union member names), what, hint."""

    loc: Loc
    message: str
    hint: str = ""


def is_union_tag(part: Any) -> bool:
    """Whether ``part`` of an error's loc names a union member ('str', 'list[str]', …)."""
    return isinstance(part, str) and (part in _UNION_TAGS or "[" in part)


def translate(errors: list[Any]) -> list[Translated]:
    """Pydantic ``errors()`` → problems, in order, union noise dropped."""
    kept = [e for e in errors if not _beaten(e, errors)]
    groups: dict[Loc, list[Any]] = {}
    for err in kept:
        k = _first_tag(err["loc"])
        if k is not None and len(err["loc"]) == k + 1 and _mismatch(err):
            groups.setdefault(tuple(err["loc"][:k]), []).append(err)
    out: list[Translated] = []
    for err in kept:
        if err["type"] == "invalid_key" or err["loc"][-1:] == ("[key]",):
            out.append(_bad_key(err))
            continue
        k = _first_tag(err["loc"])
        group = groups.get(tuple(err["loc"][:k])) if k is not None else None
        if group is None or not any(err is g for g in group):
            out.append(Translated(_clean(err["loc"]), _message(err), _hint(err)))
        elif err is group[0]:
            out.append(Translated(_clean(err["loc"]), _expected(group), _type_hint(err)))
    return out


def _bad_key(err: Any) -> Translated:
    """A mapping key that is not text (``1:``, ``true:``): YAML typed it; names are text."""
    loc = tuple(err["loc"])
    parent = loc[:-2] if loc[-1:] == ("[key]",) else loc[:-1]
    key = err.get("input")
    shown = str(key).lower() if isinstance(key, bool) else str(key)
    return Translated(
        _clean(parent),
        f"key {shown} is {describe(key)}, not text (keys here are names)",
        f'quote it: "{shown}": …',
    )


def _first_tag(loc: Loc) -> int | None:
    return next((i for i, part in enumerate(loc) if is_union_tag(part)), None)


def _mismatch(err: Any) -> bool:
    return err["type"] in _EXPECTED or err["type"] == "literal_error"


def _beaten(err: Any, errors: list[Any]) -> bool:
    """A member's "wrong type" when another member of the same union got further."""
    loc = err["loc"]
    k = _first_tag(loc)
    if k is None or len(loc) != k + 1 or not _mismatch(err):
        return False
    for other in errors:
        o = other["loc"]
        if other is err or len(o) <= k or tuple(o[:k]) != tuple(loc[:k]) or o[k] == loc[k]:
            continue
        if not is_union_tag(o[k]):
            continue
        if len(o) > k + 1 or not _mismatch(other):
            return True
    return False


def _clean(loc: Any) -> Loc:
    return tuple(p for p in loc if not is_union_tag(p))


def _expected(group: list[Any]) -> str:
    names: list[str] = []
    for err in group:
        if err["type"] == "literal_error":
            name = str(err["msg"]).removeprefix("Input should be ")
            name = name.replace("False", "false").replace("True", "true")
        else:
            name = _EXPECTED[err["type"]]
        if name not in names:
            names.append(name)
    if "a number" in names and "a whole number" in names:
        names.remove("a whole number")
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"expected {said}, got {describe(group[0].get('input'))}"


def describe(value: Any) -> str:
    """``5`` → ``a number (5)``: a value as YAML would call it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value[:60]!r})"
    if isinstance(value, datetime.date):
        return f"a date ({value})"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:5])
        return f"a mapping ({keys})" if keys else "an empty mapping"
    return type(value).__name__


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if kind == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {describe(err.get('input'))}"
    ctx, got = err.get("ctx") or {}, err.get("input")
    if kind in _BOUNDS:
        said, key = _BOUNDS[kind]
        return f"must be {said} {ctx.get(key)}, got {got}"
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"needs at least {n} item{'s' if n != 1 else ''}, got {describe(got)}"
    if kind == "too_long":
        return f"may have at most {ctx.get('max_length')} items, got {describe(got)}"
    return str(err["msg"]).removeprefix("Value error, ")


def _hint(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "remove it or check its spelling (see `podium schema` for the allowed keys)"
    if err["type"] == "missing":
        return f"add {err['loc'][-1]}: to this mapping"
    if _mismatch(err):
        return _type_hint(err)
    return ""


_EXPRESSION_KEYS = {"over": "input.markets", "on": "input.kind", "until": "vars.review.ok"}
"""Keys whose text is a JMESPath expression, with an example of reading a value."""


def _type_hint(err: Any) -> str:
    value = err.get("input")
    if err["type"] != "string_type":
        return ""
    key = next((p for p in reversed(_clean(err["loc"])) if isinstance(p, str)), "")
    if key in _EXPRESSION_KEYS and isinstance(value, list | dict):
        what = "list" if isinstance(value, list) else "mapping"
        return (
            f"{key}: takes a JMESPath expression, not a {what}: write a literal as "
            f"{key}: {_as_expression(value)}, or say where it is, e.g. "
            f"{key}: {_EXPRESSION_KEYS[key]}"
        )
    if isinstance(value, int | float | bool | datetime.date):
        return f'quote it to keep it as text: "{value}"'
    return ""


def _as_expression(value: list[Any] | dict[str, Any]) -> str:
    """A literal ``value`` as a quoted JMESPath expression, as YAML wants it written."""
    if isinstance(value, list) and all(isinstance(v, str) and "'" not in v for v in value):
        return '"[' + ", ".join(f"'{v}'" for v in value) + ']"'
    return "'`" + json.dumps(value).replace("'", "''") + "`'"
