"""Checking an HTTP tool at compile time: its URL is one a request can be sent to
(``http``/``https``, a host, no spaces) and each ``{name}`` in it is a parameter the model
is asked for — a typo here would otherwise surface only when the tool is first called."""

from __future__ import annotations

import difflib
import re
from typing import Any
from urllib.parse import urlsplit

from podium.compiler.catalog_tools import HttpToolEntry
from podium.compiler.problems import Reporter
from podium.compiler.yamlfile import Loc, YamlDocument

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
EXAMPLE = "https://api.example.com/holidays/{country}"


def check_http_tool(
    report: Reporter,
    name: str,
    http: HttpToolEntry,
    parameters: dict[str, Any] | None,
    doc: YamlDocument,
    loc: Loc,
) -> bool:
    """Record what is wrong with tool ``name``'s URL; True if nothing is."""
    at = loc + ("http", "url")
    url = http.url
    wrong = _url_problem(url)
    if wrong is not None:
        report.problem(
            doc, at, f"tool {name!r}: url {url!r} {wrong}", f"write a full URL, e.g. {EXAMPLE!r}"
        )
        return False
    names, stray = _placeholders(url)
    if stray is not None:
        if stray == "{{":
            wrong, fix = "placeholders take single braces", "write {country}, not {{country}}"
        elif stray.startswith("{"):
            wrong, fix = f"placeholder {stray!r} is not closed", f"write {stray}}}"
        else:
            wrong, fix = "a '}' closes no placeholder", "write each placeholder as {name}"
        report.problem(
            doc,
            at,
            f"tool {name!r}: url {url!r}: {wrong}",
            f"{fix} (filled from the tool's argument of that name)",
        )
        return False
    declared = _properties(parameters)
    ok = True
    required = (parameters or {}).get("required") or []
    for placeholder in names:
        if placeholder in declared:
            if placeholder not in required:
                report.warn(
                    doc,
                    at,
                    f"tool {name!r}: url placeholder {{{placeholder}}} is not a required "
                    "parameter (a call without it requests the URL with the braces in it)",
                    f"add {placeholder} to the tool's parameters' required: list",
                )
            continue
        ok = False
        close = difflib.get_close_matches(placeholder, declared, n=1)
        if close:
            hint = f"did you mean {{{close[0]}}}?"
        elif declared:
            hint = f"the tool's parameters are {', '.join(declared)}; add it to parameters:"
        else:
            hint = (
                f"declare it: parameters: {{type: object, required: [{placeholder}], "
                f"properties: {{{placeholder}: {{type: string}}}}}}"
            )
        report.problem(
            doc,
            at,
            f"tool {name!r}: url placeholder {{{placeholder}}} is not one of the tool's parameters",
            hint,
        )
    return ok


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be requested (None if it can)."""
    wrong = []
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not url.lower().startswith(parts.scheme + "://"):
        if parts.scheme and "://" in url:
            wrong.append(f"has scheme {parts.scheme!r} (only http:// and https:// are sent)")
        else:
            wrong.append("has no scheme (it must start with https:// or http://)")
    elif not parts.netloc:
        wrong.append("has no host")
    if any(c.isspace() for c in url):
        wrong.append("has a space in it (write %20 for a literal space)")
    return " and ".join(wrong) or None


def _placeholders(url: str) -> tuple[list[str], str | None]:
    """The ``{name}``s of ``url`` and a brace that opens or closes none (if any)."""
    if "{{" in url or "}}" in url:
        return [], "{{"
    names = _PLACEHOLDER.findall(url)
    stray = re.search(r"[{}][^{}/?&#]*", _PLACEHOLDER.sub("", url))
    return names, stray.group() if stray else None


def _properties(parameters: dict[str, Any] | None) -> list[str]:
    properties = (parameters or {}).get("properties")
    return sorted(properties) if isinstance(properties, dict) else []
