"""The six ASEAN national identity numbers a guard recognises, and how each is checked.

Only two of them carry a true check character; the others are checked by their
structure, which a random number of the same length passes far more often. That is why
the recognizers (``recognizers.py``) accept the structural ones only in their usual
written shape or next to a word that names them.

======================  ===========================================  ==================
kind                    what is checked                              check character
======================  ===========================================  ==================
``sg_nric``             S/T/F/G/M + 7 digits + letter                yes: weighted mod 11
``th_id``               13 digits, the first 1–8                     yes: mod 11 digit
``my_mykad``            YYMMDD-PB-###G: a real date, a JPN place     no (G is the sex)
                        of birth code
``id_nik``              16 digits PPRRSS DDMMYY ####: a known        no
                        province and regency, a real date (day +40
                        for women)
``vn_cccd``             12 digits: a province code of Circular       no
                        07/2016/TT-BCA, a century/sex digit, a year
                        not in the future
``ph_philsys``          PSN 12 digits, PCN 16 digits                 no (the PSA says the
                                                                     PSN is random)
======================  ===========================================  ==================

SG NRIC/FIN: the seven digits are weighted 2, 7, 6, 5, 4, 3, 2 and summed; the prefix
adds an offset (S, F: 0; T, G: 4; M: 3); the sum modulo 11 indexes the prefix's letter
table (S/T ``JZIHGFEDCBA``, F/G ``XWUTRQPNMLK``, M ``XWUTRQPNJLK``). TH: digit *i*
(1–12) weighted 14 − *i*, the check digit is (11 − sum mod 11) mod 10 (the tests check
it against python-stdnum's ``stdnum.th.pin``). The Malaysian place codes and the
Indonesian region codes come from python-stdnum's tables (``my/bp``, ``id/loc``, which it
keeps up to date); the checks are ``stdnum.my.nric`` and ``stdnum.id.nik``'s, with the
table look-ups cached (the tests hold both against python-stdnum's own).
"""

from __future__ import annotations

import datetime
from functools import cache
from operator import mul

from stdnum import numdb

SG_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
SG_OFFSETS = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
SG_LETTERS = {
    "S": "JZIHGFEDCBA",
    "T": "JZIHGFEDCBA",
    "F": "XWUTRQPNMLK",
    "G": "XWUTRQPNMLK",
    "M": "XWUTRQPNJLK",
}


def sg_check_letter(prefix: str, digits: str) -> str:
    """The check letter of a Singapore NRIC/FIN with this prefix and seven digits."""
    prefix = prefix.upper()
    total = SG_OFFSETS[prefix] + sum(w * int(d) for w, d in zip(SG_WEIGHTS, digits, strict=True))
    return SG_LETTERS[prefix][total % 11]


def sg_nric_valid(text: str) -> bool:
    """Whether ``text`` (9 characters) is a Singapore NRIC/FIN with the right check letter."""
    if len(text) != 9 or text[0].upper() not in SG_OFFSETS or not text[1:8].isdigit():
        return False
    return sg_check_letter(text[0], text[1:8]) == text[8].upper()


TH_WEIGHTS = (13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2)


def th_check_digit(digits: str) -> str:
    """The check digit of a Thai national ID's first twelve digits."""
    total = sum(map(mul, TH_WEIGHTS, map(int, digits[:12])))
    return str((11 - total % 11) % 10)


def th_id_valid(digits: str) -> bool:
    """Whether 13 digits are a Thai national ID (first digit 1–8, mod-11 check digit)."""
    return (
        len(digits) == 13
        and digits.isdigit()
        and digits[0] not in "09"
        and th_check_digit(digits) == digits[12]
    )


def _real_date(year: int, month: int, day: int) -> bool:
    """Whether YY MM DD is a real date in the 1900s or the 2000s."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    for century in (1900, 2000):
        try:
            datetime.date(century + year, month, day)
            return True
        except ValueError:
            continue
    return False


@cache
def _known(table: str, code: str) -> bool:
    """Whether python-stdnum's table ``table`` (``my/bp``, ``id/loc``) knows ``code``."""
    return bool(numdb.get(table).info(code)[0][1])


def mykad_date(digits: str) -> bool:
    """Whether 12 digits start with a real YYMMDD date (a cheap first look)."""
    return len(digits) == 12 and _real_date(int(digits[:2]), int(digits[2:4]), int(digits[4:6]))


def my_mykad_valid(digits: str) -> bool:
    """Whether 12 digits are a MyKad number: a real YYMMDD date and a known place code
    (as ``stdnum.my.nric.is_valid``, with the place lookup cached)."""
    return digits.isdigit() and mykad_date(digits) and _known("my/bp", digits[6:8])


def id_nik_valid(digits: str) -> bool:
    """Whether 16 digits are a NIK: a known province and regency, a real DDMMYY date (day
    +40 for women) — as ``stdnum.id.nik.is_valid``, with the region lookup cached."""
    if len(digits) != 16 or not digits.isdigit():
        return False
    day, month, year = int(digits[6:8]) % 40, int(digits[8:10]), int(digits[10:12])
    return _real_date(year, month, day) and _known("id/loc", digits[:4])


VN_PROVINCES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 "
    "034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 "
    "067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)
"""Province codes of the place of birth registration (Circular 07/2016/TT-BCA, annex 1)."""


def vn_cccd_valid(digits: str, today: datetime.date | None = None) -> bool:
    """Whether 12 digits are a Vietnamese CCCD: a province code, a century/sex digit of the
    20th or 21st century (0–3) and a birth year not in the future."""
    if len(digits) != 12 or not digits.isdigit() or digits[:3] not in VN_PROVINCES:
        return False
    century = digits[3]
    if century not in "0123":
        return False
    year = (1900 if century in "01" else 2000) + int(digits[4:6])
    return year <= (today or datetime.date.today()).year


def ph_philsys_valid(digits: str) -> bool:
    """Whether digits have the PhilSys shape: a 12-digit PSN or a 16-digit PCN (no check
    digit exists: any such number, other than one digit repeated, has the shape)."""
    return len(digits) in (12, 16) and digits.isdigit() and len(set(digits)) > 1
