"""Finding personal data in text: one recognizer per kind (``settings.PII_KINDS``).

A recognizer proposes candidates and a check accepts or refuses each one — Presidio's
``PatternRecognizer`` idea, written here because Presidio's analyzer imports spaCy
(≈400 MB installed, 2.5 s to import; its e-mail recognizer asks the internet for the
public suffix list) and took 2.5–4 ms per 10 KB for its e-mail and card recognizers
alone. The checks use maintained libraries where they exist: ``phonenumbers`` (Google's
libphonenumber metadata) for phone numbers, python-stdnum for the Luhn digit and the
Malaysian and Indonesian code tables; the checksums are in ``national_ids``.

Speed: a Python regular expression costs ~0.3 ms per 10 KB and pass, so the text is
passed three times, not once per kind: e-mails are found from their ``@``, NRIC/FINs from
their letter, every run of digits once (``digit_runs``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

from podium.activities.guards import national_ids as ids
from podium.activities.guards.context import Finding, standalone
from podium.activities.guards.digit_runs import NUMBER_KIND_NAMES, find_in_digits

_DOMAIN = re.compile(r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_NRIC = re.compile(r"[STFGMstfgm][0-9]{7}[A-Za-z]")


def _emails(text: str) -> list[Finding]:
    found = []
    for match in _DOMAIN.finditer(text):
        start = at = match.start()
        while start > 0 and text[start - 1] in _LOCAL:
            start -= 1
        if start < at:
            found.append(Finding("email", start, match.end()))
    return found


def _nrics(text: str) -> list[Finding]:
    return [
        Finding("sg_nric", m.start(), m.end())
        for m in _NRIC.finditer(text)
        if standalone(text, m.start(), m.end()) and ids.sg_nric_valid(m.group())
    ]


ALL_KINDS = frozenset({"email", "sg_nric", *NUMBER_KIND_NAMES})


def find_pii(text: str, kinds: Iterable[str] | None = None) -> list[Finding]:
    """The personal data in ``text`` (of ``kinds``, default all), in text order."""
    wanted = set(ALL_KINDS if kinds is None else kinds)
    found: list[Finding] = []
    if "email" in wanted and "@" in text:
        found += _emails(text)
    if "sg_nric" in wanted:
        found += _nrics(text)
    if wanted & NUMBER_KIND_NAMES:
        taken = sorted((f.start, f.end) for f in found)  # e-mails and NRICs come first
        starts = [start for start, _ in taken]
        for number in find_in_digits(text, wanted):
            i = bisect_right(starts, number.start)  # the nearest claims on either side
            near = taken[max(0, i - 1) : i + 1]
            if not any(s < number.end and number.start < e for s, e in near):
                found.append(number)
    return sorted(found, key=lambda f: f.start)
