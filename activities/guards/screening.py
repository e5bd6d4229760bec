"""A check applied to a value: every string in it (and every long integer) screened for
personal data or prompt injection, the value rebuilt with what was found masked or
redacted, and what was found said by kind and place, never by value."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from podium.activities.guards.injection import find_injection
from podium.activities.guards.masking import replace
from podium.activities.guards.recognizers import find_pii
from podium.activities.guards.settings import PiiCheck

LONG_INTEGER = 10**6
"""Integers from this size on are screened as their digits (a phone or an id sent as a
JSON number); a masked one becomes a string."""


@dataclass
class Screened:
    """A value after a check: rebuilt, and what was found in it."""

    value: Any
    counts: Counter[str] = field(default_factory=Counter)
    """Kind → how many."""
    places: list[str] = field(default_factory=list)
    """``sg_nric in input 'customer.id'``, in the order found."""

    def add(self, other: Screened) -> None:
        self.counts.update(other.counts)
        self.places += other.places


def place(root: str, path: str) -> str:
    """``input 'customer.id'`` (or the root alone for the value itself)."""
    return f"{root} {path!r}" if path else root


def screen_pii(value: Any, check: PiiCheck, root: str) -> Screened:
    """``value`` with the personal data of ``check.kinds`` masked or redacted (blocking
    checks replace nothing: whoever asked trips the guard on what was found)."""
    screened = Screened(value)
    screened.value = _walk(value, "", check, root, screened)
    return screened


def _walk(value: Any, path: str, check: PiiCheck, root: str, out: Screened) -> Any:
    if isinstance(value, str):
        return _text(value, path, check, root, out)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= LONG_INTEGER:
        text = str(value)
        screened = _text(text, path, check, root, out)
        return value if screened == text else screened
    if isinstance(value, dict):
        return {k: _walk(v, _join(path, str(k)), check, root, out) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, f"{path}[{i}]", check, root, out) for i, v in enumerate(value)]
    return value


def _text(text: str, path: str, check: PiiCheck, root: str, out: Screened) -> str:
    findings = find_pii(text, check.kinds)
    if not findings:
        return text
    where = place(root, path)
    for finding in findings:
        out.counts[finding.kind] += 1
        entry = f"{finding.kind} in {where}"
        if entry not in out.places:
            out.places.append(entry)
    return text if check.action == "block" else replace(text, findings, check.action)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def screen_injection(value: Any, root: str) -> Screened:
    """Where ``value``'s strings break the injection rules (``counts``: rule → how many)."""
    screened = Screened(value)
    _injections(value, "", root, screened)
    return screened


def _injections(value: Any, path: str, root: str, out: Screened) -> None:
    if isinstance(value, str):
        for rule in find_injection(value):
            out.counts[rule] += 1
            out.places.append(f"{rule} in {place(root, path)}")
    elif isinstance(value, dict):
        for k, v in value.items():
            _injections(v, _join(path, str(k)), root, out)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _injections(v, f"{path}[{i}]", root, out)


def counted(counts: Counter[str]) -> str:
    """``email ×1, sg_nric ×2`` (kinds in the order first found)."""
    return ", ".join(f"{kind} ×{n}" for kind, n in counts.items())
