"""A run's input as a form: the fields a spec's ``input:`` schema asks for, and the form a
person posts read back into the run input (``run_start.py`` starts the run).

    string                 a text box (a text area when the schema says the text is long)
    number, integer        a number box, with the schema's minimum, maximum and multipleOf
    boolean                a checkbox (unticked: false)
    enum                   a list to choose from
    array of enum          a checkbox per choice
    array of scalars       a text area, one item a line
    anything else          a text area holding the field's JSON

Reading a form only turns text into values (a number box into a number, a JSON text area
into JSON); whether the input is right is the input schema's to say, checked as ``podium
run`` and ``podium serve`` check it (``compiler.inputs.check_input``). What each field says
back is kept as the person typed it, so a refused form loses nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

LONG_TEXT = 200
"""A string allowed more characters than this gets a text area."""
LONG_FORMATS = frozenset({"textarea", "multiline", "long-text", "markdown", "html"})
"""``format:`` values that say a string is long text."""
INPUT_TYPES = {"email": "email", "uri": "url", "url": "url", "date": "date"}
"""``format:`` values a browser has its own box for (its value is the format's)."""
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
INTEGER = re.compile(r"^[+-]?\d+$")
SCALARS = frozenset({"string", "number", "integer"})
WHOLE = "input"
"""The form key of the one JSON text area shown when the schema names no properties."""


@dataclass
class FieldProblem:
    """What is wrong with a field: ``kind`` says which message the page shows (translated),
    ``detail`` the words to quote (the schema's message, JSON's complaint), ``line`` the
    line of a one-item-a-line field."""

    kind: str  # number | integer | json | object | schema
    detail: str = ""
    line: int | None = None


@dataclass
class InputField:
    """One field of the form: a property of the input (or, ``whole``, the input itself)."""

    name: str
    kind: str  # text | long_text | number | checkbox | select | choices | lines | json
    required: bool = False
    title: str = ""
    help: str = ""
    whole: bool = False
    value: str = ""
    """What the box holds: the schema's default, or what the person typed."""
    chosen: set[str] = field(default_factory=set)
    """The options ticked (``choices``), or, for a checkbox, ``{"on"}`` when ticked."""
    options: list[tuple[str, str]] = field(default_factory=list)
    """(what the form sends, what the person reads) of a ``select`` or ``choices``."""
    blank_option: bool = False
    input_type: str = "text"
    minimum: str | None = None
    maximum: str | None = None
    step: str | None = None
    max_length: int | None = None
    item: str = "string"
    """The type of a ``lines`` field's items."""
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The field's name in the posted form."""
        return WHOLE if self.whole else f"input.{self.name}"

    @property
    def label(self) -> str:
        """What the page calls it: the schema's title, else the property's name."""
        return self.title or self.name


def fields_for(schema: Mapping[str, Any]) -> list[InputField]:
    """The form for an input schema, each field holding the schema's default."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return [InputField(name="", kind="json", whole=True, value=_json_text(schema, {}))]
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    return [
        _field(str(name), sub if isinstance(sub, Mapping) else {}, name in needed)
        for name, sub in properties.items()
    ]


def _field(name: str, schema: Mapping[str, Any], required: bool) -> InputField:
    made = InputField(
        name=name,
        kind="json",
        required=required,
        title=str(schema.get("title") or ""),
        help=str(schema.get("description") or ""),
    )
    default = schema.get("default")
    kind = _type(schema)
    choices = _choices(schema)
    if choices is not None:
        made.kind, made.options = "select", [(_json(v), _shown(v)) for v in choices]
        made.value = _json(default) if "default" in schema else ""
        made.blank_option = not required or "default" not in schema
    elif kind == "string":
        _string(made, schema)
        made.value = default if isinstance(default, str) else ""
    elif kind in ("number", "integer"):
        made.kind, made.item = "number", kind
        made.minimum = _number_text(schema.get("minimum"))
        made.maximum = _number_text(schema.get("maximum"))
        step = _number_text(schema.get("multipleOf"))
        made.step = step or ("1" if kind == "integer" else "any")
        made.value = _number_text(default) or ""
    elif kind == "boolean":
        made.kind = "checkbox"
        made.chosen = {"on"} if default is True else set()
    elif kind == "array":
        _array(made, schema)
    if made.kind == "json":
        made.value = _json_text(schema, None)
    return made


def _string(made: InputField, schema: Mapping[str, Any]) -> None:
    longest = schema.get("maxLength")
    form = str(schema.get("format") or "")
    media = str(schema.get("contentMediaType") or "")
    long = (isinstance(longest, int) and longest > LONG_TEXT) or form in LONG_FORMATS
    made.kind = "long_text" if long or media.startswith("text/") else "text"
    made.input_type = INPUT_TYPES.get(form, "text")
    made.max_length = longest if isinstance(longest, int) else None


def _array(made: InputField, schema: Mapping[str, Any]) -> None:
    items = schema.get("items")
    if not isinstance(items, Mapping):
        return
    default = schema.get("default")
    listed = default if isinstance(default, list) else []
    choices = _choices(items)
    if choices is not None:
        made.kind, made.options = "choices", [(_json(v), _shown(v)) for v in choices]
        made.chosen = {_json(v) for v in listed}
    elif _type(items) in SCALARS:
        made.kind, made.item = "lines", _type(items) or "string"
        made.value = "\n".join(v if isinstance(v, str) else _json(v) for v in listed)


def _type(schema: Mapping[str, Any]) -> str | None:
    """The schema's one type (``["string", "null"]`` is a string that may be left out)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        named = [k for k in kind if k != "null"]
        kind = named[0] if len(named) == 1 else None
    return kind if isinstance(kind, str) else None


def _choices(schema: Mapping[str, Any]) -> list[Any] | None:
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return str(value)


def _json_text(schema: Mapping[str, Any], otherwise: Any) -> str:
    value = schema.get("default", otherwise)
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=2)


def read_form(fields: list[InputField], form: FormData) -> dict[str, Any]:
    """The run input the posted ``form`` gives; each field keeps what was typed, and a box
    whose text is not a value of its kind gets a problem (and is left out of the input)."""
    run_input: dict[str, Any] = {}
    for one in fields:
        one.problems = []
        if one.kind == "choices":
            one.chosen = {str(v) for v in form.getlist(one.key)}
            picked = [_parsed(v) for v, _ in one.options if v in one.chosen]
            if picked or one.required:
                run_input[one.name] = picked
            continue
        if one.kind == "checkbox":
            one.chosen = {"on"} if form.get(one.key) else set()
            run_input[one.name] = bool(one.chosen)
            continue
        raw = form.get(one.key)  # (a browser sends a text area's lines ended by CRLF)
        one.value = raw.replace("\r\n", "\n") if isinstance(raw, str) else ""
        found = _value(one)
        if one.whole:
            if isinstance(found, dict):
                return found
            if not one.problems:
                one.problems.append(FieldProblem("object"))
            return {}
        if found is not _MISSING and not one.problems:
            run_input[one.name] = found
    return run_input


_MISSING = object()


def _value(one: InputField) -> Any:
    text = one.value
    if one.kind == "lines":
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                found.append(_scalar(one, line.strip(), number))
        return found if found or one.required else _MISSING
    if not text.strip():  # nothing typed: left out (the schema says whether it is needed)
        return _MISSING
    if one.kind in ("text", "long_text"):
        return text
    if one.kind == "select":
        return _parsed(text) if text in {v for v, _ in one.options} else text
    if one.kind == "number":
        return _scalar(one, text.strip(), None)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        one.problems.append(FieldProblem("json", f"{exc.msg} (column {exc.colno})", exc.lineno))
    except (ValueError, RecursionError) as exc:  # NaN, Infinity; nested too deeply
        one.problems.append(FieldProblem("json", str(exc) or "nested too deeply"))
    return _MISSING


def _scalar(one: InputField, text: str, line: int | None) -> Any:
    if one.item == "integer":
        if INTEGER.match(text):
            return int(text)
        one.problems.append(FieldProblem("integer", text, line))
    elif one.item == "number":
        if INTEGER.match(text):
            return int(text)
        if NUMBER.match(text):
            return float(text)
        one.problems.append(FieldProblem("number", text, line))
    return text


def _parsed(text: str) -> Any:
    """An option's value as the form sends it (its JSON)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


SCHEMA_PREFIX = "run input does not match spec "
REQUIRED = re.compile(r"^'(.+)' is a required property$", re.S)


def pin_problems(fields: list[InputField], messages: list[str], spec: str) -> list[str]:
    """Put each of the input check's messages on the field it is about; return the ones
    about no field (they are shown above the form).

    Args:
        fields: the form's fields.
        messages: ``check_input``'s problem messages (``… spec 'x': <path>: <what>``).
        spec: the spec's name as the messages quote it.
    """
    by_name = {one.name: one for one in fields if not one.whole}
    whole = next((one for one in fields if one.whole), None)
    left: list[str] = []
    for message in messages:
        said = message.removeprefix(f"{SCHEMA_PREFIX}{spec!r}: ")
        path, _, what = said.partition(": ")
        if said == message or not what:
            left.append(message)
            continue
        if whole is not None:
            whole.problems.append(FieldProblem("schema", said))
            continue
        missing = REQUIRED.match(what) if path == "(root)" else None
        name = missing.group(1) if missing else path.split("/", 1)[0]
        target = by_name.get(name)
        if target is None:
            left.append(said)
        elif not target.problems or missing is None:  # a box it could not read is empty
            shown = what if path in (name, "(root)") else f"{path}: {what}"
            target.problems.append(FieldProblem("schema", shown))
    return left
