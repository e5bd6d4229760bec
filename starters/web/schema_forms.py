"""Edit forms for the visual builder (#26), generated from the spec language's JSON Schema
(``compiler.schema.spec_schema()``, registered kinds included): one step's form, the
spec's own settings, and a posted form read back into a value.

    pickers = pickers_for(spec, path, at=("steps", 2), people=console.people)
    form = step_form(spec["steps"][2], spec_schema(), pickers)
    # in a template: {% from "builder/fields.html" import fields %} … {{ fields(form) }}
    value, errors = read_form(form, await request.form())
    if errors:                      # field name → what is wrong, in words
        form = form.refilled(await request.form(), errors)   # show it again, errors beside

A step's form shows the keys every step has and those of its kind (``schema_form_kinds``,
read from the compiler); the ones most steps leave alone under "More settings". Keys
holding steps (``parallel``, ``route.cases``, ``compensate``…) are in ``Form.nested``:
edited on the diagram. Field names are dotted key paths (``schema_form_fields``); what
each widget reads is in ``schema_form_build``; reading in ``schema_form_reading``: an
untouched form reads back as exactly the value it was made from, and keys the form does
not show are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.starters.web.schema_form_build import Builder
from podium.starters.web.schema_form_fields import (
    MISSING,
    Field,
    Form,
    FormErrors,
    FormReading,
    NestedField,
)
from podium.starters.web.schema_form_inputs import input_field
from podium.starters.web.schema_form_kinds import COMMON, kind_keys, selecting_keys, step_kind
from podium.starters.web.schema_form_pickers import Pickers, pickers_for
from podium.starters.web.schema_form_reading import read_fields

__all__ = [
    "Field",
    "Form",
    "FormErrors",
    "FormReading",
    "MISSING",
    "NestedField",
    "Pickers",
    "kind_keys",
    "pickers_for",
    "read_form",
    "step_form",
    "step_kind",
    "top_form",
]

PRIMARY = ("id", "description", "when", "with", "require", "join")
"""A step's keys shown first (with the keys that select its kind); the rest are under
"More settings"."""
TOP_PRIMARY = ("name", "summary", "description", "agents", "input", "output")
"""The spec's settings shown first; budget, deadline, notify, priority, history are more."""


def step_form(
    step: Mapping[str, Any],
    schema: dict[str, Any],
    pickers: Pickers,
    *,
    kind: str | None = None,
    prefix: str = "step",
) -> Form:
    """The edit form of one spec step (a mapping as in the YAML).

    Args:
        step: The step's current value.
        schema: ``compiler.schema.spec_schema()``.
        pickers: What its fields suggest (``pickers_for``).
        kind: The kind to show (default: the one the step's keys select; give it for a
            new step that has no kind's key yet).
        prefix: Starts its HTML ids.
    """
    step = step if isinstance(step, Mapping) else {}
    kind = kind or step_kind(step)
    properties = schema["$defs"]["StepEntry"]["properties"]
    wanted = {*COMMON, *kind_keys().get(kind or "", ()), *step}
    selecting = selecting_keys()
    builder = Builder(schema, prefix)
    fields = []
    for key, prop in properties.items():
        if key not in wanted:
            continue
        made = builder.field(key, prop, step.get(key, MISSING), key, "StepEntry")
        if made is None:
            continue
        made.more = key not in PRIMARY and key not in selecting
        made.required = made.widget == "group" and selecting.get(key) == kind
        fields.append(made)
    return Form(fields, dict(step), builder.nested, kind, _lists(pickers, builder), prefix)


def top_form(
    spec: Mapping[str, Any], schema: dict[str, Any], pickers: Pickers, *, prefix: str = "spec"
) -> Form:
    """The edit form of a spec's own settings (its steps are the diagram's)."""
    spec = spec if isinstance(spec, Mapping) else {}
    builder = Builder(schema, prefix)
    fields = []
    for key, prop in schema["properties"].items():
        value = spec.get(key, MISSING)
        if key == "input":
            made: Field | None = input_field(value, prefix, str(prop.get("description", "")))
        else:
            made = builder.field(key, prop, value, key, "SpecFile")
        if made is not None:
            made.more, made.required = key not in TOP_PRIMARY, key in schema.get("required", [])
            fields.append(made)
    return Form(fields, dict(spec), builder.nested, None, _lists(pickers, builder), prefix)


def read_form(form: Form, posted: Mapping[str, Any]) -> FormReading:
    """The value ``form`` stands for as ``posted`` (a mapping, or Starlette's
    ``FormData``): typed as the schema says, emptied fields left out, keys the form does
    not show kept from the old value; and what was wrong, by field name."""
    errors = FormErrors()
    value = read_fields(form.fields, form.old, posted, errors)
    return FormReading(value, errors)


def _lists(pickers: Pickers, builder: Builder) -> dict[str, list[str]]:
    return {name: list(getattr(pickers, name, ())) for name in sorted(builder.pickers)}
