"""Form fields from the spec language's JSON Schema (``compiler.schema.spec_schema``):
each property's shape picks its widget, and a value the widget cannot show is shown as
YAML and kept as it is.

    string → text (description: several lines)     enum → select
    integer / number → number                       boolean → checkbox
    string | integer | number (a duration) → text   anything (no type) → text, JSON or words
    [string] → one input per item, plus an empty one to add (string | [string]: one item
        is written as a plain string)
    {name: value} → key/value rows, plus an empty one (string | {…}: or one expression)
    a model ($ref) → a fieldset of its fields; [model] → one fieldset per item, plus an
        empty one; {name: model} → the same, each with its name
    enum | model (join: all | any | {quorum: N}) → a select, and the model's fields
    a step, [step] or {name: step} → not a field: edited on the diagram (``Form.nested``)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from podium.starters.web.schema_form_fields import MISSING, Field, NestedField

STEP = "StepEntry"
PICKS = {
    "agent": "agents",
    "manager": "agents",
    "capability": "capabilities",
    "approvers": "people",
    "escalate_to": "people",
    "human": "people",
    "EscalationEntry.to": "people",
    "GotoEntry.to": "goto_targets",
    "needs": "step_ids",
    "workflow": "specs",
    "agents": "catalogs",
    "tools": "tools",
}
"""Which ``Pickers`` list a field suggests, by key (or ``Model.key`` where a key means
different things). Text whose help mentions an expression suggests ``expressions``, as
do the values of key/value rows."""
MULTILINE = ("description",)
BOUNDS = (
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
    *("minLength", "maxLength", "minItems", "maxItems"),
)
"""The schema's limits a posted value is checked against."""


LABELS = {"id": "ID", "usd": "USD", "max_mb": "Max MB"}
"""Labels that are not just the key in words."""


def label_of(key: str) -> str:
    """``escalate_to`` → ``Escalate to``."""
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def shown(value: Any) -> str:
    """A scalar as a text input shows it."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def shown_literal(value: Any) -> str:
    """A value that is an expression (a string) or a literal (JSON) as text."""
    if value is MISSING:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@dataclass
class Builder:
    """Makes the fields of one form (and notes the keys that hold steps)."""

    root: dict[str, Any]
    """The whole schema (its ``$defs``)."""
    prefix: str = "field"
    nested: list[NestedField] = field(default_factory=list)
    pickers: set[str] = field(default_factory=set)
    """The picker lists its fields use."""

    def model(self, sub: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """(name, schema) of the model ``sub`` refers to (or is: a registered kind's entry
        is inline); None if it is no model."""
        ref = sub.get("$ref")
        if sub.get("type") == "object" and isinstance(sub.get("properties"), Mapping):
            return str(sub.get("title", "")), dict(sub)
        if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
            return None
        name = ref.removeprefix("#/$defs/")
        return name, self.root.get("$defs", {}).get(name, {})

    def shape(self, sub: Mapping[str, Any]) -> str:
        """What kind of value ``sub`` (one variant of a property) describes."""
        model = self.model(sub)
        if model is not None:
            return "step" if model[0] == STEP else "model" if "properties" in model[1] else "any"
        kind, items, more = sub.get("type"), sub.get("items", {}), sub.get("additionalProperties")
        if "enum" in sub:
            return "enum"
        if kind == "array":
            inner = self.shape(items) if isinstance(items, Mapping) else "any"
            return {"string": "strings", "enum": "strings", "model": "models"}.get(
                inner, "steps" if inner == "step" else "other"
            )
        if kind == "object" and isinstance(more, Mapping) and "$ref" in more:
            return {"model": "model_map", "step": "step_map"}.get(self.shape(more), "other")
        if kind == "object":
            return "map" if more in (None, True, {}) else "string_map"
        return kind if isinstance(kind, str) else "any"

    def field(
        self, key: str, prop: Mapping[str, Any], value: Any, name: str, model: str = ""
    ) -> Field | None:
        """The field of property ``key`` (schema ``prop``, current ``value``); None when
        it holds steps (noted in ``nested``) or there is nothing it could show."""
        subs = [s for s in prop.get("anyOf", [prop]) if s.get("type") != "null"]
        shapes = [self.shape(s) for s in subs]
        holds = {"step": "step", "steps": "steps", "step_map": "steps by name"}
        if any(s in holds for s in shapes):
            path = tuple(int(p) if p.isdigit() else p for p in name.split("."))
            kind = next(holds[s] for s in shapes if s in holds)
            self.nested.append(NestedField(name, path, label_of(key), kind))
            return None
        models = [m for s in subs if (m := self.model(s)) is not None]
        described = prop.get("description") or (models[0][1].get("description") if models else "")
        f = Field(
            name=name,
            key=key,
            label=label_of(key),
            id=f"{self.prefix}-{name.replace('.', '-')}",
            help=str(described or "").replace("``", ""),
            old=value,
            default=prop.get("default", MISSING),
            rules={k: v for s in subs for k, v in s.items() if k in BOUNDS},
            picker=PICKS.get(f"{model}.{key}") or PICKS.get(key),
        )
        if f.picker is None and "expression" in f.help.lower():
            f.picker = "expressions"
        fits = self._widget(f, subs, shapes, models, value)
        if not fits:
            if value is MISSING:
                return None
            f.widget, f.value, f.picker = "readonly", as_yaml(value), None
        if f.picker:
            self.pickers.add(f.picker)
        return f

    def _widget(
        self,
        f: Field,
        subs: list[Mapping[str, Any]],
        shapes: list[str],
        models: list[tuple[str, dict[str, Any]]],
        value: Any,
    ) -> bool:
        """Set ``f``'s widget and what it shows; False if ``value`` does not fit one."""
        absent = value is MISSING or value is None
        if shapes == ["boolean"]:
            f.widget = "checkbox"
            f.checked = value if isinstance(value, bool) else f.default is True
            return absent or isinstance(value, bool)
        if shapes == ["enum"]:
            f.widget, f.scalar, f.value = "select", "enum", shown(value)
            f.rules["enum"] = list(subs[0]["enum"])
            f.choices = [(shown(v), shown(v)) for v in f.rules["enum"]]
            if f.value and (f.value, f.value) not in f.choices:
                f.choices.append((f.value, f.value))
            return absent or not isinstance(value, dict | list)
        if shapes in (["integer"], ["number"]):
            f.widget, f.scalar, f.value = "number", shapes[0], shown(value)
            return absent or is_number(value)
        if shapes == ["string"]:
            f.widget = "textarea" if f.key in MULTILINE else "text"
            f.value = shown(value)
            return absent or isinstance(value, str)
        if len(shapes) > 1 and set(shapes) <= {"string", "integer", "number"}:
            f.scalar, f.value = "duration", shown(value)
            return absent or isinstance(value, str) or is_number(value)
        if shapes == ["any"]:
            f.scalar, f.value = "literal", "" if value is MISSING else shown_literal(value)
            return True
        if "strings" in shapes and set(shapes) <= {"strings", "string", "model"}:
            f.widget, f.single = "list", "string" in shapes
            items = [value] if f.single and isinstance(value, str) else value
            f.items = [*(items if _strings(items) else []), ""]
            return absent or _strings(items)
        if shapes in (["map"], ["string_map"], ["string", "string_map"]):
            f.widget, f.single, f.picker = "pairs", "string" in shapes, "expressions"
            f.scalar = "literal" if shapes == ["map"] else "string"
            if f.single and isinstance(value, str):
                f.value, value = value, {}
            rows = value if isinstance(value, Mapping) else {}
            f.rows = [*((str(k), shown_literal(v)) for k, v in rows.items()), ("", "")]
            return absent or isinstance(value, Mapping)
        if shapes == ["model"]:
            return self._group(f, *models[0], value)
        if shapes in (["models"], ["model_map"]):
            inner = self.model(subs[0].get("items") or subs[0].get("additionalProperties") or {})
            return inner is not None and self._groups(f, *inner, value, shapes == ["model_map"])
        if sorted(shapes) == ["enum", "model"]:
            enum = next(s["enum"] for s in subs if "enum" in s)
            name, schema = models[0]
            f.widget, f.scalar, f.rules["enum"] = "choice", "enum", list(enum)
            f.choices = [(shown(v), shown(v)) for v in enum]
            f.choices.append((name, ", ".join(schema.get("required", [])) or name))
            f.value = name if isinstance(value, Mapping) else shown(value)
            f.children = self.children(name, schema, value, f.name)
            return absent or isinstance(value, str | Mapping)
        return False

    def _group(self, f: Field, name: str, schema: dict[str, Any], value: Any) -> bool:
        required = schema.get("required", [])
        if isinstance(value, str | int | float) and len(required) == 1:
            f.shorthand = required[0]  # deadline: 2h = {after: 2h}
            value = {f.shorthand: value}
        f.widget, f.children = "group", self.children(name, schema, value, f.name)
        return value is MISSING or value is None or isinstance(value, Mapping)

    def _groups(self, f: Field, name: str, schema: dict[str, Any], value: Any, keyed: bool) -> bool:
        f.widget, f.keyed = "groups", keyed
        fits = (
            value is MISSING
            or value is None
            or (isinstance(value, Mapping) if keyed else isinstance(value, list))
        )
        items = list(value.items() if keyed else enumerate(value)) if fits and value else []
        for i, (item_key, item) in enumerate([*items, (MISSING, MISSING)]):
            entry = Field(
                name=f"{f.name}.{i}", key=str(i), label=f.label, id=f"{f.id}-{i}", old=item
            )
            fits &= self._group(entry, name, schema, item)
            if keyed:
                key = Field(f"{entry.name}._key", "_key", "Name", f"{entry.id}-key", old=item_key)
                key.value, key.required = shown(item_key), True
                entry.children.insert(0, key)
            f.entries.append(entry)
        return fits

    def children(self, model: str, schema: dict[str, Any], value: Any, name: str) -> list[Field]:
        """The fields of a model's properties (its ``required`` ones marked)."""
        out = []
        for key, prop in schema.get("properties", {}).items():
            inner = value.get(key, MISSING) if isinstance(value, Mapping) else MISSING
            made = self.field(key, prop, inner, f"{name}.{key}", model)
            if made is not None:
                made.required = key in schema.get("required", [])
                out.append(made)
        return out


def as_yaml(value: Any) -> str:
    """A value the form cannot edit, as YAML to read."""
    try:
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True).strip()
    except yaml.YAMLError:
        return repr(value)
