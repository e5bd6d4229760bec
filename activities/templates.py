"""``{{ input.company }}``-style text templates (Jinja2, sandboxed, no file access)."""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import SandboxedEnvironment

# finalize: a missing (null) value renders as "" rather than Python's "None".
_env = SandboxedEnvironment(autoescape=False, finalize=lambda v: "" if v is None else v)


def render(text: str, context: dict[str, Any]) -> str:
    """Render ``text`` with ``context``; text without ``{{`` is returned unchanged."""
    if "{{" not in text and "{%" not in text:
        return text
    return _env.from_string(text).render(**context)
