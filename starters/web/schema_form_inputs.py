"""The run input's JSON Schema (a spec's ``input:``) edited as rows — one per field of the
input: its name, type, whether it is required, its minimum and maximum, the values it
allows and its description — so a person builds ``{type: object, required: [...],
properties: {...}}`` by typing in fields. What the rows cannot show is kept unchanged and
shown as YAML: a field using more of JSON Schema (``items``, ``exclusiveMinimum``…) keeps
those keys beside its row; a field the row cannot show at all (a list of types) is kept
whole; an input that is not an object of properties is kept whole (``readonly``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.starters.web.schema_form_build import as_yaml, is_number, shown
from podium.starters.web.schema_form_fields import MISSING, Field, FormErrors
from podium.starters.web.schema_form_reading import (
    EXTRA_READERS,
    read,
    scalar,
    text,
    untouched,
)

TYPES = ("string", "number", "integer", "boolean", "array", "object")
ROW_KEYS = ("type", "minimum", "maximum", "enum", "description")
"""The keys of a field's schema its row edits."""
SCHEMA_KEYS = ("type", "required", "properties")
"""The keys of the input's schema the rows stand for."""


def input_field(value: Any, prefix: str, help: str) -> Field:
    """The ``input:`` field of a spec's settings form."""
    f = Field("input", "input", "Input", f"{prefix}-input", help=help, old=value)
    schema = {"type": "object"} if value is MISSING else value
    properties = schema.get("properties", {}) if isinstance(schema, Mapping) else None
    required = schema.get("required", []) if isinstance(schema, Mapping) else None
    if (
        not isinstance(properties, Mapping)
        or schema.get("type", "object") != "object"
        or not (isinstance(required, list) and all(isinstance(r, str) for r in required))
    ):
        f.widget, f.value = "readonly", as_yaml(value)
        return f
    f.widget = "input"
    f.extra = (
        as_yaml({k: v for k, v in schema.items() if k not in SCHEMA_KEYS})
        if set(schema) - set(SCHEMA_KEYS)
        else ""
    )
    rows = [*properties.items(), (MISSING, MISSING)]
    f.entries = [_row(f, i, name, prop, name in required) for i, (name, prop) in enumerate(rows)]
    return f


def _row(f: Field, i: int, name: Any, prop: Any, required: bool) -> Field:
    """One field of the input as a row (a group of inputs)."""
    at, where = f"{f.name}.{i}", f"{f.id}-{i}"
    key = "" if name is MISSING else str(name)
    row = Field(at, key, key, where, old=prop)
    if prop is not MISSING and not _fits(prop):
        row.widget, row.value = "readonly", as_yaml({name: prop})
        return row
    prop = prop if isinstance(prop, Mapping) else {}
    row.widget = "group"
    row.extra = (
        as_yaml({k: v for k, v in prop.items() if k not in ROW_KEYS})
        if set(prop) - set(ROW_KEYS)
        else ""
    )

    def cell(key: str, label: str, widget: str = "text", **more: Any) -> Field:
        value = prop.get(key, MISSING)
        made = Field(f"{at}.{key}", key, label, f"{where}-{key}", widget=widget, old=value)
        made.value = shown(value)
        for attribute, setting in more.items():
            setattr(made, attribute, setting)
        return made

    enum = prop.get("enum", MISSING)
    row.children = [
        cell("name", "Name", required=True, value=shown(name), old=name),
        cell("type", "Type", "select", scalar="enum", rules={"enum": list(TYPES)},
             choices=[(t, t) for t in TYPES]),
        cell("required", "Required", "checkbox", checked=required, old=required),
        cell("minimum", "Minimum", "number", scalar="number"),
        cell("maximum", "Maximum", "number", scalar="number"),
        cell("enum", "Allowed values", value=", ".join(shown(v) for v in enum or [])),
        cell("description", "Description"),
    ]  # fmt: skip
    return row


def _fits(prop: Any) -> bool:
    """Whether a field's schema can be shown as a row."""
    if not isinstance(prop, Mapping):
        return False
    enum = prop.get("enum", [])
    return (
        prop.get("type", "string") in TYPES
        and all(is_number(prop.get(k, 0)) for k in ("minimum", "maximum"))
        and isinstance(enum, list)
        and all(isinstance(v, str | int | float) and "," not in shown(v) for v in enum)
        and isinstance(prop.get("description", ""), str)
    )


def read_input(f: Field, posted: Mapping[str, Any], errors: FormErrors) -> Any:
    """The input's schema from its rows (the old one's other keys kept)."""
    schema = dict(f.old) if isinstance(f.old, Mapping) else {"type": "object"}
    old_required = list(schema.get("required", []))
    properties: dict[str, Any] = {}
    required: list[tuple[str | None, str]] = []  # (old name, name) of each required row
    for row in f.entries:
        if row.widget == "readonly" or untouched(row, posted):
            if row.old is not MISSING:
                properties[row.key] = row.old
                required += [(row.key, row.key)] if row.key in old_required else []
            continue
        cells = {c.key: c for c in row.children}
        name = text(posted, cells["name"].name).strip()
        prop = _read_row(cells, row.old, posted, errors)
        wanted = cells["required"].name in posted
        if not name:
            if prop or wanted:
                errors[cells["name"].name] = "Name: give the field a name"
            continue
        if name in properties:
            errors[cells["name"].name] = f"Name: {name!r} is given twice"
        properties[name] = prop
        if wanted:
            required.append((row.key if row.old is not MISSING else None, name))
    known = {row.key for row in f.entries if row.old is not MISSING}
    schema["required"] = _required_order(old_required, known, required)
    schema["properties"] = properties  # (a new schema: type, required, properties)
    for key in ("properties", "required"):
        if not schema[key] and key not in (f.old if isinstance(f.old, Mapping) else {}):
            del schema[key]
    return schema


def _read_row(
    cells: dict[str, Field], old: Any, posted: Mapping[str, Any], errors: FormErrors
) -> dict[str, Any]:
    """One field's schema from its row (its other keys kept)."""
    prop = dict(old) if isinstance(old, Mapping) else {}
    kind = read(cells["type"], posted, errors)
    for key in ROW_KEYS:
        cell = cells[key]
        if key == "enum" and not untouched(cell, posted):
            value = _enum_values(cell, posted, errors, kind)
        else:
            value = read(cell, posted, errors)
        if value is MISSING:
            prop.pop(key, None)
        else:
            prop[key] = value
    return prop


def _enum_values(cell: Field, posted: Mapping[str, Any], errors: FormErrors, kind: Any) -> Any:
    """The allowed values, comma-separated, typed as the field's type."""
    words = [w.strip() for w in text(posted, cell.name).split(",") if w.strip()]
    if kind not in ("number", "integer", "boolean"):
        return words or MISSING
    typed = Field(cell.name, cell.key, cell.label, cell.id, scalar=kind)
    if kind == "boolean":
        typed.scalar, typed.rules = "enum", {"enum": [True, False]}
        typed.choices = [("true", "true"), ("false", "false")]
    values = [scalar(typed, word, errors) for word in words]
    return values or MISSING


def _required_order(
    old: list[str], known: set[str], rows: list[tuple[str | None, str]]
) -> list[str]:
    """The required names in the old list's order (a renamed field keeps its place, a name
    no field had is kept), new ones after."""
    renamed = {before: after for before, after in rows if before is not None}
    kept = [renamed.get(name, name) for name in old if name in renamed or name not in known]
    return list(dict.fromkeys([*kept, *(after for _, after in rows)]))


EXTRA_READERS["input"] = read_input
