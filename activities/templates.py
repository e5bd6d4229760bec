"""``{{ input.company }}``-style text templates (Jinja2, sandboxed, no file access)."""

from __future__ import annotations

import re
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

# finalize: a missing (null) value renders as "" rather than Python's "None".
_env = SandboxedEnvironment(autoescape=False, finalize=lambda v: "" if v is None else v)


def render(text: str, context: dict[str, Any]) -> str:
    """Render ``text`` with ``context``; text without ``{{`` is returned unchanged."""
    if "{{" not in text and "{%" not in text:
        return text
    return _env.from_string(text).render(**context)


_native = SandboxedEnvironment(autoescape=False)
_WHOLE = re.compile(r"^\{\{(.*)\}\}$", re.S)


def render_value(text: str, context: dict[str, Any]) -> Any:
    """Like ``render``, but a string that is one ``{{ expression }}`` keeps the
    expression's type (a number stays a number, a mapping a mapping): scripted answers
    and tool arguments must match their schemas."""
    whole = _WHOLE.match(text.strip())
    if whole is None or "{{" in whole.group(1):
        return render(text, context)
    return _native.compile_expression(whole.group(1).strip(), undefined_to_none=True)(**context)
