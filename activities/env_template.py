"""``${VAR}`` and ``${VAR:-default}`` in a provider's deployment settings.

A catalog may write ``base_url: "${LLM_URL:-http://127.0.0.1:8080/v1}"``. The compiler
only checks the syntax (``problem``); the text travels unexpanded in the plan, and the
worker expands it from its own environment right before each call (``expand``), so no
endpoint of the machine that compiled the run is baked into its history.

Only ``${NAME}`` and ``${NAME:-default}`` are special (NAME: letters, digits and ``_``,
not starting with a digit). A ``$`` not followed by ``{`` is kept as it is. A variable
set to the empty string counts as unset, as with the shell's ``:-``. Defaults are plain
text: no ``${…}`` inside a default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEMPLATE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
FORMS = "write ${NAME} or ${NAME:-default} (NAME: letters, digits and _, not starting with a digit)"


class UnsetVariable(Exception):
    """A ``${NAME}`` without a default names a variable that is not set (or is empty)."""

    def __init__(self, name: str):
        super().__init__(f"environment variable {name} is not set")
        self.name = name


def is_template(text: str | None) -> bool:
    """True when ``text`` contains ``${`` (whether well formed or not)."""
    return text is not None and "${" in text


def problem(text: str) -> str | None:
    """What is wrong with the ``${…}`` templates in ``text`` (one sentence), or None."""
    pos = 0
    while (start := text.find("${", pos)) != -1:
        match = _TEMPLATE.match(text, start)
        if match is None or "${" in (match["default"] or ""):
            return _describe(text, start)
        pos = match.end()
    return None


def _describe(text: str, start: int) -> str:
    end = text.find("}", start)
    if end == -1:
        return f"'${{' at character {start + 1} is not closed with '}}'; {FORMS}"
    inner = text[start + 2 : end]
    where = f"'{text[start : end + 1]}'"
    if not inner:
        return f"{where} names no variable; {FORMS}"
    name, colon, rest = inner.partition(":")
    if not _NAME.fullmatch(name):
        return f"{where}: {name!r} is not a variable name; {FORMS}"
    if colon and not rest.startswith("-"):
        return f"{where}: only ':-' may follow the name; {FORMS}"
    return f"{where}: a default may not contain '${{' (no nested templates); {FORMS}"


def variables(text: str) -> list[str]:
    """The names of the variables ``text`` reads, in order (``text`` must be well formed)."""
    return [m["name"] for m in _TEMPLATE.finditer(text)]


def expand(text: str, env: Mapping[str, str]) -> str:
    """``text`` with every ``${NAME}``/``${NAME:-default}`` replaced from ``env``.

    Raises ``UnsetVariable`` for a ``${NAME}`` (no default) whose variable is unset or
    empty, and ``ValueError`` for a malformed template.
    """
    if (wrong := problem(text)) is not None:
        raise ValueError(wrong)

    def value(match: re.Match[str]) -> str:
        found = env.get(match["name"])
        if found:
            return found
        if match["default"] is not None:
            return match["default"]
        raise UnsetVariable(match["name"])

    return _TEMPLATE.sub(value, text)
