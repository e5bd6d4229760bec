"""What the recognizers share: a finding, whether a candidate stands alone in its text,
and the words that name a kind shortly before a bare number."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text."""

    kind: str
    start: int
    end: int


_CLOSED_BEFORE = frozenset(".,-+/_@#")
"""A number right after one of these (or a letter, a digit) is part of something else."""


def standalone(text: str, start: int, end: int) -> bool:
    """Nothing glued to either side of ``text[start:end]`` (a letter, a digit, ``.5``…)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in _CLOSED_BEFORE or after.isalnum())


NAMES: dict[str, tuple[str, ...]] = {
    "my_mykad": ("mykad", "nric", "ic", "i/c", "k/p", "kad pengenalan"),
    "ph_philsys": ("philsys", "psn", "pcn", "philid", "phil id"),
    "vn_cccd": ("cccd", "cmnd", "căn cước", "can cuoc", "định danh", "dinh danh", "citizen"),
    "any": ("national id", "identity", "id no", "id number", "id card"),
    "phone": (
        "tel", "phone", "mobile", "hp", "h/p", "call", "whatsapp", "wa", "contact", "sms",
        "fax", "telefon", "nombor", "nomor", "hubungi", "sđt", "điện thoại", "โทร",
    ),
}  # fmt: skip
"""Words that name a national id or a phone; the one nearest before a bare number decides
its kind (``any``: a generic "national ID" names whichever id the number fits)."""
_KIND_OF = {word: kind for kind, words in NAMES.items() for word in words}
_NAME = re.compile("|".join(re.escape(w) for w in sorted(_KIND_OF, key=len, reverse=True)))
"""Every naming word, longest first; matched on the lowered window (an ``IGNORECASE``
expression of the same words took ~40 times longer)."""
CONTEXT_CHARS = 48
"""How far before a bare number a naming word is looked for."""


def nearest_name(text: str, start: int) -> str | None:
    """The kind named by the naming word nearest before ``start`` (a whole word, within
    ``CONTEXT_CHARS``), or None."""
    window = text[max(0, start - CONTEXT_CHARS) : start].lower()
    best = None
    for match in _NAME.finditer(window):
        word = match.group()
        if not word.isascii() or _whole(window, match.start(), match.end()):  # (Thai: no spaces)
            best = _KIND_OF[word]
    return best


def _whole(window: str, start: int, end: int) -> bool:
    before = window[start - 1] if start else " "
    after = window[end] if end < len(window) else " "
    return not (before.isalnum() or after.isalnum())


def named(kind: str, text: str, start: int) -> bool:
    name = nearest_name(text, start)
    return name == kind or (name == "any" and kind != "phone")
