"""A posted form read back into a value, typed as the schema says, with what is wrong
said per field instead of raised: no posted text can cause a traceback.

A field posted back exactly as it was shown stands for the value it was made from (so
an untouched form reads back as the value it came from, byte for byte once written;
a duration written ``90`` stays a number, a ``with`` value ``"3"`` stays a string). An
emptied field is left out. Keys the form does not show are kept from the old value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from podium.starters.web.schema_form_build import shown
from podium.starters.web.schema_form_fields import MISSING, Field, FormErrors
from podium.workflows.durations import parse_duration

INTEGER = re.compile(r"[+-]?\d+")

Reader = Callable[[Field, Mapping[str, Any], FormErrors], Any]
EXTRA_READERS: dict[str, Reader] = {}
"""Readers of widgets defined elsewhere (``input``: ``schema_form_inputs``)."""


def text(posted: Mapping[str, Any], name: str) -> str:
    """What was posted as ``name`` ("" if nothing, or not text); line ends as ``\\n``."""
    value = posted.get(name)
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def untouched(f: Field, posted: Mapping[str, Any]) -> bool:
    """Whether ``f`` (and everything in it) was posted back as it was shown."""
    as_shown = f.posted().items()
    if any(text(posted, name) != value.replace("\r\n", "\n") for name, value in as_shown):
        return False
    return all(c.name not in posted for c in f.walk() if c.widget == "checkbox" and not c.checked)


def read(f: Field, posted: Mapping[str, Any], errors: FormErrors) -> Any:
    """The value of field ``f`` as posted (MISSING: leave the key out)."""
    if untouched(f, posted) or f.widget == "readonly":
        return f.old
    if f.widget in EXTRA_READERS:
        return EXTRA_READERS[f.widget](f, posted, errors)
    if f.widget == "checkbox":
        checked = f.name in posted
        return MISSING if checked == (f.default is True) else checked
    if f.widget == "list":
        return _list(f, posted, errors)
    if f.widget == "pairs":
        return _pairs(f, posted, errors)
    if f.widget == "group":
        return read_group(f, posted, errors)
    if f.widget == "groups":
        return _groups(f, posted, errors)
    if f.widget == "choice" and _chose_the_mapping(f, posted):
        return read_group(f, posted, errors, required=True)
    return scalar(f, text(posted, f.name).strip(), errors)


def _chose_the_mapping(f: Field, posted: Mapping[str, Any]) -> bool:
    """Whether a choice's mapping was picked (join: quorum), or filled in with the
    select left at its default."""
    chosen = text(posted, f.name)
    filled = not all(untouched(c, posted) for c in f.children)
    return chosen == f.choices[-1][0] or (not chosen and filled)


def read_fields(
    fields: list[Field], old: Any, posted: Mapping[str, Any], errors: FormErrors
) -> dict[str, Any]:
    """``old`` (a mapping) with each field's key set to what was posted, or removed."""
    out = dict(old) if isinstance(old, Mapping) else {}
    for f in fields:
        value = read(f, posted, errors)
        if value is MISSING:
            out.pop(f.key, None)
        else:
            out[f.key] = value
    return out


def scalar(f: Field, typed: str, errors: FormErrors) -> Any:
    """One text typed as ``f.scalar`` says and checked against the schema's bounds."""
    if not typed:
        return MISSING
    try:
        value = _typed(f, typed)
    except ValueError as exc:
        errors[f.name] = f"{f.label}: {exc}"
        return MISSING
    problem = _out_of_bounds(f.rules, value)
    if problem:
        errors[f.name] = f"{f.label} {problem}"
    return value


def _typed(f: Field, typed: str) -> Any:
    if f.scalar == "enum":
        for choice in f.rules.get("enum", []):
            if typed == shown(choice):
                return choice
        raise ValueError(f"{typed!r} is not one of {', '.join(c for c, _ in f.choices)}")
    if f.scalar == "integer":
        if not INTEGER.fullmatch(typed):
            raise ValueError(f"{typed!r} is not a whole number")
        return int(typed)
    if f.scalar in ("number", "duration"):
        number = _number(typed)
        if number is not None:
            return number
        if f.scalar == "number":
            raise ValueError(f"{typed!r} is not a number")
        parse_duration(typed)  # raises with the forms a duration takes
        return typed
    if f.scalar == "literal":
        return literal(typed)
    return typed


def _number(typed: str) -> int | float | None:
    if INTEGER.fullmatch(typed):
        return int(typed)
    try:
        number = float(typed)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def literal(typed: str) -> Any:
    """Typed JSON that is not a string (``3``, ``true``, ``[1, 2]``) as that value; any
    other text as it is (an expression)."""
    try:
        value = json.loads(typed)
    except ValueError:
        return typed
    return typed if isinstance(value, str) else value


def _out_of_bounds(rules: Mapping[str, Any], value: Any) -> str | None:
    """What ``value`` breaks of the schema's bounds, in words (None: nothing)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        checks = [
            ("minimum", lambda b: value >= b, "must be at least {}"),
            ("maximum", lambda b: value <= b, "must be at most {}"),
            ("exclusiveMinimum", lambda b: value > b, "must be more than {}"),
            ("exclusiveMaximum", lambda b: value < b, "must be less than {}"),
        ]
    elif isinstance(value, str):
        checks = [
            ("minLength", lambda b: len(value) >= b, "needs at least {} characters"),
            ("maxLength", lambda b: len(value) <= b, "may have at most {} characters"),
        ]
    else:
        checks = [("minItems", lambda b: len(value) >= b, "needs at least {} entries")]
    for rule, holds, words in checks:
        bound = rules.get(rule)
        if isinstance(bound, int | float) and not holds(bound):
            return words.format(bound)
    return None


def _list(f: Field, posted: Mapping[str, Any], errors: FormErrors) -> Any:
    items = [text(posted, f"{f.name}.{i}").strip() for i in range(len(f.items))]
    items = [item for item in items if item]
    problem = _out_of_bounds(f.rules, items) if items else None  # none: left out
    if problem:
        errors[f.name] = f"{f.label} {problem}"
    if not items:
        return MISSING
    return items[0] if f.single and len(items) == 1 else items


def _pairs(f: Field, posted: Mapping[str, Any], errors: FormErrors) -> Any:
    old = list(f.old.items()) if isinstance(f.old, Mapping) else []
    out: dict[str, Any] = {}
    for i, row in enumerate(f.rows):
        key = text(posted, f"{f.name}.{i}.key").strip()
        typed = text(posted, f"{f.name}.{i}.value").strip()
        if key in out:
            errors[f.name] = f"{f.label}: {key!r} is given twice"
        elif (key, typed) == row and i < len(old):
            out[key] = old[i][1]  # this row as it was
        elif key and typed:
            out[key] = literal(typed) if f.scalar == "literal" else typed
        elif key or typed:
            errors[f.name] = f"{f.label}: row {i + 1} needs a name and a value"
    single = text(posted, f.name).strip() if f.single else ""
    if single and out:
        errors[f.name] = f"{f.label}: give one expression, or named ones, not both"
    return single or out or MISSING


def read_group(
    f: Field, posted: Mapping[str, Any], errors: FormErrors, *, required: bool = False
) -> Any:
    """A fieldset's mapping (MISSING when all of it is empty); its required fields
    checked when anything in it is given (or when ``required``)."""
    old = f.old if isinstance(f.old, Mapping) else {}
    children = [c for c in f.children if c.key != "_key"]
    value = read_fields(children, old, posted, errors)
    if not value and not (required or f.required):
        return MISSING
    for child in children:
        if child.required and child.key not in value and child.name not in errors:
            errors[child.name] = f"{child.label} is required"
    if f.shorthand and set(value) == {f.shorthand} and isinstance(f.old, str | int | float):
        return value[f.shorthand]  # written as it was: deadline: 2h
    return value if value else MISSING


def _groups(f: Field, posted: Mapping[str, Any], errors: FormErrors) -> Any:
    if not f.keyed:
        items = [read(entry, posted, errors) for entry in f.entries]
        return [item for item in items if item is not MISSING] or MISSING
    out: dict[str, Any] = {}
    for entry in f.entries:
        if untouched(entry, posted):
            if entry.old is not MISSING:
                out[entry.children[0].old] = entry.old
            continue
        key = text(posted, entry.children[0].name).strip()
        value = read(entry, posted, errors)
        if value is MISSING and not key:
            continue  # emptied: removed
        if not key:
            errors[entry.children[0].name] = f"{f.label}: give this entry a name"
        elif key in out:
            errors[entry.children[0].name] = f"{f.label}: {key!r} is given twice"
        out[key] = {} if value is MISSING else value
    return out or MISSING
