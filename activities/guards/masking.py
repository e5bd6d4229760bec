"""Replacing personal data found in a text: masked (a recognisable shape) or redacted (the
kind's label).

    mask("sg_nric", "S1234567D")            -> "S****567D"
    mask("email", "alice@example.com")      -> "a***@example.com"
    mask("card", "4111 1111 1111 1111")     -> "**** **** **** 1111"
    redaction("sg_nric")                    -> "[SG_NRIC]"
"""

from __future__ import annotations

from collections.abc import Sequence

from podium.activities.guards.recognizers import Finding

KEEP: dict[str, tuple[int, int]] = {
    "sg_nric": (1, 4),  # the prefix says NRIC or FIN; the tail tells two people apart
    "phone": (0, 3),
}
"""Letters and digits left visible at the start and the end, by kind (default: the last 4)."""
DEFAULT_KEEP = (0, 4)


def redaction(kind: str) -> str:
    """What a redacted value of ``kind`` becomes: ``[SG_NRIC]``."""
    return f"[{kind.upper()}]"


def mask(kind: str, value: str) -> str:
    """``value`` with its letters and digits starred but a few (separators kept)."""
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    first, last = KEEP.get(kind, DEFAULT_KEEP)
    shown = [i for i, char in enumerate(value) if char.isalnum()]
    if len(shown) <= first + last:  # too short to keep anything and still hide it
        first, last = 0, 0
    chars = list(value)
    for i in shown[first : len(shown) - last]:
        chars[i] = "*"
    return "".join(chars)


def replace(text: str, findings: Sequence[Finding], action: str) -> str:
    """``text`` with each finding masked (``action`` ``mask``) or redacted."""
    parts, at = [], 0
    for finding in findings:
        parts.append(text[at : finding.start])
        value = text[finding.start : finding.end]
        parts.append(mask(finding.kind, value) if action == "mask" else redaction(finding.kind))
        at = finding.end
    parts.append(text[at:])
    return "".join(parts)
