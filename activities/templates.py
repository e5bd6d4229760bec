"""``{{ input.company }}``-style text templates (Jinja2, sandboxed, no file access)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

# finalize: a missing (null) value renders as "" rather than Python's "None".
_env = SandboxedEnvironment(autoescape=False, finalize=lambda v: "" if v is None else v)


def render(text: str, context: dict[str, Any]) -> str:
    """Render ``text`` with ``context``; text without ``{{`` is returned unchanged."""
    if "{{" not in text and "{%" not in text:
        return text
    return _template(text).render(**context)


@lru_cache(maxsize=2048)
def _template(text: str) -> Template:
    """Compiling a template costs far more than rendering it: each text is compiled once
    per process (summaries, titles and scripted answers repeat for every run)."""
    return _env.from_string(text)


_native = SandboxedEnvironment(autoescape=False)
_WHOLE = re.compile(r"^\{\{(.*)\}\}$", re.S)


def render_value(text: str, context: dict[str, Any]) -> Any:
    """Like ``render``, but a string that is one ``{{ expression }}`` keeps the
    expression's type (a number stays a number, a mapping a mapping): scripted answers
    and tool arguments must match their schemas."""
    whole = _WHOLE.match(text.strip())
    if whole is None or "{{" in whole.group(1):
        return render(text, context)
    return _expression(whole.group(1).strip())(**context)


@lru_cache(maxsize=2048)
def _expression(source: str) -> Any:
    return _native.compile_expression(source, undefined_to_none=True)
