"""Checking an agent's answer against its output schema."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from podium.activities.errors import OutputSchemaError
from podium.activities.tool_contracts import ToolCall

MAX_REPORTED_ERRORS = 5


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Readable validation errors (``path: message``) of ``value`` against ``schema``."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]


def schema_summary(value: Any, schema: dict[str, Any], limit: int = MAX_REPORTED_ERRORS) -> str:
    """Where and which schema rules ``value`` breaks, quoting the schema, never the value:
    this goes into error messages, logs and trace spans; ``schema_errors`` (which quotes
    the answer, for the repair round) stays in the error's details."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    parts = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'} ({e.validator}"
        + (f" {e.validator_value!r}" if e.validator in SHOWN_RULES else "")
        + ")"
        for e in errors[:limit]
    ]
    more = f" and {len(errors) - limit} more" if len(errors) > limit else ""
    return "; ".join(parts) + more


SHOWN_RULES = ("type", "required", "enum", "const", "minimum", "maximum", "additionalProperties")


def parse_output(content: str | None, schema: dict[str, Any] | None) -> Any:
    """Turn a model's message content into the step's output.

    Without a schema the text itself is the output. With one, the content must be
    JSON that validates, else ``OutputSchemaError`` carries the content and the errors
    (so a repair round can quote them back to the model).
    """
    if schema is None:
        return content or ""
    if not content:
        raise OutputSchemaError(
            "model returned empty content; expected JSON",
            content="",
            errors=["empty answer; a JSON value is required"],
        )
    try:
        value = json.loads(content)
    except json.JSONDecodeError as exc:
        raise OutputSchemaError(
            f"model output is not valid JSON ({exc.msg} at char {exc.pos})",
            content=content[:2000],
            errors=[f"not valid JSON: {exc.msg} at char {exc.pos}"],
        ) from None
    errors = schema_errors(value, schema)
    if errors:
        raise OutputSchemaError(
            f"model output does not match the output schema at {schema_summary(value, schema)}",
            content=content[:2000],
            errors=errors,
        )
    return value


def unoffered_tool_calls(
    calls: list[ToolCall], content: str | None, agent: str, schema: dict[str, Any] | None
) -> OutputSchemaError:
    """An answer that calls tools where none were offered (an agent without tools, or the
    tool loop's last turn): invalid like any answer that misses its schema, so a repair
    round tells the model — never an output of ``null``."""
    names = ", ".join(dict.fromkeys(c.name or "?" for c in calls))
    expected = "a JSON value that validates against the schema" if schema else "text"
    said = (content or "").strip()
    called = "; ".join(f"{c.name}({json.dumps(c.arguments, ensure_ascii=False)})" for c in calls)
    return OutputSchemaError(
        f"agent {agent!r} answered with tool calls ({names}) where no tools were offered; "
        f"expected {expected}",
        content=((said + "\n" if said else "") + f"[tool calls: {called}]")[:2000],
        errors=[f"you called {names}, but no tools are available here: answer with {expected}"],
    )
