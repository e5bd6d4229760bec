"""What an edit form generated from the spec language's JSON Schema is made of: its
fields (each a widget with the value it shows and the value it stands for), the steps it
leaves to the diagram, and the errors of a posted form. Built by ``schema_forms``; drawn by
``templates/builder/fields.html``; read back by ``schema_form_reading``.

Field names (the ``name=`` a browser posts) are the YAML keys from the form's value down,
joined with dots, list places as numbers: ``approval.timeout``, ``needs.0``,
``approval.escalate.1.after``, ``with.2.key`` / ``with.2.value`` (a key/value row),
``supervise.team.0._key`` (the name of a mapping's entry), ``input.3.minimum``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class _Missing:
    """The value of a key the YAML does not have (as opposed to ``None``, a null)."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

WIDGETS = (
    "text",  # one line; ``scalar`` says how it is typed when read
    "textarea",  # several lines of text
    "number",  # integer or number
    "checkbox",
    "select",  # ``choices``; "" = the schema's default (the key left out)
    "list",  # ``items``: one input per string, plus an empty one to add
    "pairs",  # ``rows``: key/value rows, plus an empty one to add
    "group",  # ``children``: a mapping's own fields (a fieldset)
    "choice",  # a select (``value``) between words and a mapping (``children``): join
    "groups",  # ``entries``: repeated groups, plus an empty one to add
    "input",  # ``entries``: the run input's fields, one row (group) each
    "readonly",  # ``value``: shown as YAML and kept as it is
)


@dataclass
class Field:
    """One field of a form (a leaf, or a group of fields)."""

    name: str
    """What the browser posts it as (see the module docstring)."""
    key: str
    """The YAML key it edits at its place (``timeout``)."""
    label: str
    id: str
    """The HTML id of its input (``<label for>``)."""
    widget: str = "text"
    help: str = ""
    value: Any = ""
    """Shown: text of a leaf; ``checked`` of a checkbox; the single expression of pairs."""
    old: Any = MISSING
    """The value it stands for (MISSING: the key is absent); kept when the field is
    posted back as shown."""
    required: bool = False
    more: bool = False
    """Shown under "More settings" (a setting most steps leave alone)."""
    checked: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    """(value, label) of a select."""
    items: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    entries: list[Field] = field(default_factory=list)
    keyed: bool = False
    """groups: a mapping; each entry's first child is its name (``_key``)."""
    single: bool = False
    """list: one item is written as a plain string; pairs: ``value`` holds one expression
    given instead of named ones."""
    scalar: str = "string"
    """How text is read: string | integer | number | duration | literal (JSON or an
    expression) | enum."""
    rules: dict[str, Any] = field(default_factory=dict)
    """The schema's bounds: minimum, maximum, exclusiveMinimum, minLength, minItems…"""
    default: Any = MISSING
    shorthand: str | None = None
    """group: the one key a plain value stands for (``deadline: 2h`` = ``{after: 2h}``)."""
    picker: str | None = None
    """The ``Pickers`` list suggested for it (a ``<datalist>``); pairs: for the values."""
    error: str | None = None
    extra: str = ""
    """input rows: what the row editor cannot show, as YAML (kept unchanged)."""

    @property
    def present(self) -> bool:
        """Whether the value it stands for has this key (an entry: is not the new one)."""
        return self.old is not MISSING

    @property
    def default_text(self) -> str:
        """The schema's default as a select's empty choice says it ("" if none)."""
        if self.default is MISSING or self.default is None:
            return ""
        return {True: "true", False: "false"}.get(self.default, str(self.default))  # type: ignore[call-overload]

    def walk(self) -> Iterator[Field]:
        """This field and every field inside it."""
        yield self
        for inner in (*self.children, *self.entries):
            yield from inner.walk()

    def posted(self) -> dict[str, str]:
        """What a browser posts for this field as it is shown."""
        out: dict[str, str] = {}
        if self.widget in ("text", "textarea", "number", "select", "choice"):
            out[self.name] = str(self.value)
        elif self.widget == "checkbox" and self.checked:
            out[self.name] = "on"
        elif self.widget == "list":
            out.update({f"{self.name}.{i}": item for i, item in enumerate(self.items)})
        elif self.widget == "pairs":
            if self.single:
                out[self.name] = str(self.value)
            for i, (key, value) in enumerate(self.rows):
                out[f"{self.name}.{i}.key"], out[f"{self.name}.{i}.value"] = key, value
        for inner in (*self.children, *self.entries):
            out.update(inner.posted())
        return out

    def refilled(self, posted: Mapping[str, str], errors: Mapping[str, str]) -> Field:
        """This field showing what was posted, with its error (to show a refused form)."""
        changes: dict[str, Any] = {"error": errors.get(self.name)}
        if self.widget in ("text", "textarea", "number", "select", "choice") or (
            self.widget == "pairs" and self.single
        ):
            changes["value"] = posted.get(self.name, "")
        if self.widget == "checkbox":
            changes["checked"] = self.name in posted
        if self.widget == "list":
            changes["items"] = [posted.get(f"{self.name}.{i}", "") for i in range(len(self.items))]
        if self.widget == "pairs":
            changes["rows"] = [
                (posted.get(f"{self.name}.{i}.key", ""), posted.get(f"{self.name}.{i}.value", ""))
                for i in range(len(self.rows))
            ]
        changes["children"] = [c.refilled(posted, errors) for c in self.children]
        changes["entries"] = [e.refilled(posted, errors) for e in self.entries]
        return dataclasses.replace(self, **changes)


@dataclass
class NestedField:
    """A key holding steps: edited on the diagram, not in the form (kept as it is)."""

    name: str
    """Dotted, as a field's (``route.cases``)."""
    path: tuple[str | int, ...]
    """Its key path from the form's value (``("route", "cases")``)."""
    label: str
    holds: str
    """``step``, ``steps`` (a list) or ``steps by name`` (a mapping)."""


class FormErrors(dict[str, str]):
    """Field name → what is wrong with what was posted there, in words."""


class FormReading(NamedTuple):
    """A posted form read back: the new value and what was wrong (nothing: empty)."""

    value: dict[str, Any]
    errors: FormErrors


@dataclass
class Form:
    """An edit form for one step (or the spec's own settings)."""

    fields: list[Field]
    old: dict[str, Any]
    """The value the form was made from (keys it does not show are kept from it)."""
    nested: list[NestedField] = field(default_factory=list)
    kind: str | None = None
    """The step's kind (None for the spec's settings, or a step of no kind yet)."""
    lists: dict[str, list[str]] = field(default_factory=dict)
    """The suggestions its fields use: picker name → values (``<datalist>``s)."""
    prefix: str = "field"
    """Starts every HTML id of the form (two forms on one page need two prefixes)."""

    @property
    def primary(self) -> list[Field]:
        """The fields shown first."""
        return [f for f in self.fields if not f.more]

    @property
    def more(self) -> list[Field]:
        """The fields under "More settings"."""
        return [f for f in self.fields if f.more]

    @property
    def more_open(self) -> bool:
        """Whether "More settings" starts open: one of them is set, or is wrong."""
        return any(inner.old is not MISSING or inner.error for f in self.more for inner in f.walk())

    def posted(self) -> dict[str, str]:
        """What a browser posts for the form as it is shown (untouched)."""
        out: dict[str, str] = {}
        for f in self.fields:
            out.update(f.posted())
        return out

    def refilled(self, posted: Mapping[str, str], errors: Mapping[str, str]) -> Form:
        """The form showing what was posted, each error next to its field."""
        values = {k: v for k, v in posted.items() if isinstance(v, str)}
        return dataclasses.replace(self, fields=[f.refilled(values, errors) for f in self.fields])
