"""Personal data written as digits — cards, phones and the national ids but Singapore's —
found in one pass over the text.

Every run of seven or more digits (single spaces, dots, hyphens or a bracketed area code
between them) is found once with a loose expression, then judged by its digit count,
its groups and its check, kind by kind in ``NUMBER_KINDS`` order (the first that accepts
it wins). A run no kind accepts is tried again split at its spaces ("qty 12 4111 1111
1111 1111"). Kinds without a check character (MyKad, PhilSys, CCCD) and bare
Singapore-style 8-digit phones are accepted as bare digits only where the nearest naming
word before them names them (``context.NAMES``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumber
from podium.activities.guards import national_ids as ids
from podium.activities.guards.context import Finding, named, standalone
from stdnum import luhn

_NUMBER = re.compile(r"[+(0-9][ .()0-9-]{6,}")
_NOT_DIGITS = str.maketrans("", "", " .()+-")


CARD_PREFIXES = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6]|7[01]|720)|3[47]|3(?:0[0-5]|[689])|6(?:011|4[4-9]|5|2)|35"
    r"|5018|5020|5038|5893|6304|6759|676[1-3]"
)
"""Issuer prefixes of Visa, Mastercard, Amex, Diners, Discover, UnionPay, JCB, Maestro."""
TRUNK_CODES = (60, 62, 66, 84, 63)
"""Country codes of the markets dialled with a leading 0 at home: MY, ID, TH, VN, PH
(Singapore, 65, has no trunk prefix)."""


@lru_cache(maxsize=4096)
def phone_valid(candidate: str) -> bool:
    """Whether ``candidate`` is a valid phone number: with ``+``, of any country; else a
    national number of Singapore (8 digits from 3, 6, 8 or 9) or of a market dialled with
    a leading 0.

    Numbers are checked against the country's numbering plan directly (one
    ``is_valid_number`` per country that could be meant) rather than parsed once per
    country: ~5 times faster."""
    digits = candidate.translate(_NOT_DIGITS)
    if candidate.startswith("+"):
        codes: tuple[int, ...] = _country_code(digits)
        national = digits[len(str(codes[0])) :] if codes else ""
    elif digits.startswith("0"):
        codes, national = TRUNK_CODES, digits[1:]
    elif len(digits) == 8 and digits[0] in "3689":
        codes, national = (65,), digits
    else:
        return False
    if not 6 <= len(national) <= 14 or national.startswith("0"):
        return False
    number = int(national)
    return any(
        phonenumbers.is_valid_number(PhoneNumber(country_code=code, national_number=number))
        for code in codes
    )


def _country_code(digits: str) -> tuple[int, ...]:
    """The country calling code ``digits`` start with (E.164 codes are prefix-free)."""
    for size in (1, 2, 3):
        code = int(digits[:size] or 0)
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return (code,)
    return ()


class Number:
    """A run of digits as written: the text, its digits, where it is; its groups' lengths
    worked out only if a kind asks."""

    __slots__ = ("written", "digits", "text", "start", "_groups")

    def __init__(self, written: str, digits: str, text: str, start: int) -> None:
        self.written, self.digits, self.text, self.start = written, digits, text, start
        self._groups: tuple[int, ...] | None = None

    @property
    def groups(self) -> tuple[int, ...]:
        """The lengths of its groups of digits (``(6, 2, 4)`` for ``900101-14-5678``)."""
        if self._groups is None:
            self._groups = tuple(len(g) for g in self.written.translate(_SEPARATORS).split())
        return self._groups

    @property
    def shaped(self) -> bool:
        """Written with separators (``900101-14-5678``), not as bare digits."""
        return len(self.digits) != len(self.written)

    def named(self, kind: str) -> bool:
        return named(kind, self.text, self.start)


def _card(n: Number) -> bool:
    """Bare, in fours (the last group shorter), or Amex/Diners' 4-6-5 / 4-6-4; an issuer's
    prefix; the Luhn digit."""
    g = n.groups
    fours = len(g) > 1 and all(size == 4 for size in g[:-1]) and g[-1] <= 4
    if not (len(g) == 1 or fours or g in ((4, 6, 5), (4, 6, 4))):
        return False
    return bool(CARD_PREFIXES.match(n.digits)) and luhn.is_valid(n.digits)


def _th_id(n: Number) -> bool:
    return n.groups in ((13,), (1, 4, 5, 2, 1)) and ids.th_id_valid(n.digits)


def _id_nik(n: Number) -> bool:
    return not n.shaped and ids.id_nik_valid(n.digits)


def _my_mykad(n: Number) -> bool:
    if n.shaped and n.groups != (6, 2, 4):
        return False
    if not ids.mykad_date(n.digits) or not (n.shaped or n.named("my_mykad")):
        return False
    return ids.my_mykad_valid(n.digits)


def _ph_philsys(n: Number) -> bool:
    if n.groups not in PH_SHAPES or not ids.ph_philsys_valid(n.digits):
        return False
    if not n.shaped:
        return n.named("ph_philsys")
    return n.named("ph_philsys") or not phone_valid(n.written)  # 0812-3456-7890 is a phone


def _vn_cccd(n: Number) -> bool:
    return not n.shaped and ids.vn_cccd_valid(n.digits) and n.named("vn_cccd")


def _phone(n: Number) -> bool:
    if not n.shaped and n.written[0] not in "+0(":  # 91234567: as often an order number
        if len(n.digits) != 8 or n.digits[0] not in "3689" or not n.named("phone"):
            return False
    return phone_valid(n.written)


@dataclass(frozen=True)
class NumberKind:
    """A kind found in runs of digits: how many digits it has (a run of another count is
    not looked at for it) and the check — shape first, then the digits — a run passes."""

    kind: str
    counts: range | tuple[int, ...]
    check: Callable[[Number], bool]


PH_SHAPES = ((12,), (16,), (4, 4, 4), (4, 4, 4, 4))
NUMBER_KINDS: tuple[NumberKind, ...] = (
    NumberKind("card", range(13, 20), _card),
    NumberKind("th_id", (13,), _th_id),
    NumberKind("id_nik", (16,), _id_nik),
    NumberKind("my_mykad", (12,), _my_mykad),
    NumberKind("ph_philsys", (12, 16), _ph_philsys),
    NumberKind("vn_cccd", (12,), _vn_cccd),
    NumberKind("phone", range(7, 16), _phone),
)
"""The kinds found in runs of digits, in the order their claims win."""
MIN_DIGITS, MAX_DIGITS = 7, 19
"""A run of fewer or more digits is no kind's."""
MAX_PIECES = 8
"""A run that no kind accepts is split at its spaces into at most this many pieces."""
_SEPARATORS = str.maketrans(".()+-", "     ")
_ByCount = dict[int, list[NumberKind]]


def _by_count(kinds: set[str]) -> _ByCount:
    wanted = [k for k in NUMBER_KINDS if k.kind in kinds]
    counts = range(MIN_DIGITS, MAX_DIGITS + 1)
    return {n: [k for k in wanted if n in k.counts] for n in counts}


def find_in_digits(text: str, kinds: set[str]) -> list[Finding]:
    """The findings of ``kinds`` among the runs of digits of ``text``."""
    by_count = _by_count(kinds)
    found: list[Finding] = []
    for match in _NUMBER.finditer(text):  # a loose pass (fast), trimmed here
        written = match.group().rstrip(" .-(")
        start = match.start()
        end = start + len(written)
        if not standalone(text, start, end):
            continue
        digits = written.translate(_NOT_DIGITS)
        kind = _judge(text, start, written, digits, by_count)
        if kind is not None:
            found.append(Finding(kind, start, end))
        elif " " in written:
            found += _pieces(text, start, written, by_count)
    return found


def _judge(text: str, start: int, written: str, digits: str, by_count: _ByCount) -> str | None:
    """The kind of the run ``written`` at ``start``, or None."""
    kinds = by_count.get(len(digits))
    if not kinds:
        return None
    number = Number(written, digits, text, start)
    for kind in kinds:
        if kind.check(number):
            return kind.kind
    return None


def _pieces(text: str, start: int, written: str, by_count: _ByCount) -> list[Finding]:
    """The kinds found in a run split at its spaces, the longest spans first."""
    pieces = written.split(" ")
    if len(pieces) > MAX_PIECES:
        return []
    bounds, at = [], start
    for piece in pieces:
        bounds.append((at, at + len(piece), len(piece.translate(_NOT_DIGITS))))
        at += len(piece) + 1
    found: list[Finding] = []
    last = len(bounds) - 1
    spans = [(i, j) for i in range(last + 1) for j in range(i, last + 1) if (i, j) != (0, last)]
    for i, j in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        count = sum(b[2] for b in bounds[i : j + 1])
        s, e = bounds[i][0], bounds[j][1]
        if not MIN_DIGITS <= count <= MAX_DIGITS or any(f.start < e and s < f.end for f in found):
            continue
        part = text[s:e]
        kind = _judge(text, s, part, part.translate(_NOT_DIGITS), by_count)
        if kind is not None:
            found.append(Finding(kind, s, e))
    return found


NUMBER_KIND_NAMES = frozenset(k.kind for k in NUMBER_KINDS)
