"""Personal data a guard recognises: each ASEAN national id with its checksum or structure,
cards with Luhn, phones of the six markets, e-mails; and how a finding is masked or
redacted. Valid numbers are generated with each kind's algorithm (tests/support/pii_samples),
invalid ones are those numbers with one thing wrong."""

from __future__ import annotations

import datetime
import random

import pytest
from podium.activities.guards import national_ids as ids
from podium.activities.guards.masking import mask, redaction, replace
from podium.activities.guards.recognizers import find_pii
from stdnum import luhn
from stdnum.id import nik as stdnum_nik
from stdnum.my import nric as stdnum_mykad
from stdnum.th import pin as stdnum_thai

from tests.support import pii_samples as samples

RNG = random.Random(2711)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text)]


# -- Singapore NRIC / FIN: weights 2,7,6,5,4,3,2, offsets, letter tables -----------------
def test_sg_nric_published_examples_and_check_letters():
    assert ids.sg_check_letter("S", "1234567") == "D"  # S1234567D, the usual example
    assert ids.sg_check_letter("M", "1234567") == "K"  # M-series FIN (offset 3)
    assert ids.sg_nric_valid("S1234567D") and not ids.sg_nric_valid("S1234567E")


@pytest.mark.parametrize("prefix", list("STFGM"))
def test_sg_nric_valid_and_one_wrong_letter(prefix):
    for _ in range(50):
        number = samples.sg_nric(RNG, prefix)
        assert ids.sg_nric_valid(number), number
        wrong = number[:8] + next(c for c in "ABCDEFGHJKLMNPQRTUWXZ" if c != number[8])
        assert not ids.sg_nric_valid(wrong), wrong
        assert kinds(f"NRIC {number.lower()}, ok") == [("sg_nric", number.lower())]
        assert kinds(f"NRIC {wrong}.") == []


# -- Thailand: 13 digits, mod-11 check digit --------------------------------------------
def test_th_check_digit_agrees_with_python_stdnum():
    for _ in range(300):
        body = "".join(RNG.choice("0123456789") for _ in range(12))
        assert ids.th_check_digit(body) == stdnum_thai.calc_check_digit(body)


def test_th_id_grouped_or_bare_and_wrong_check_digit():
    for _ in range(50):
        grouped = samples.th_id(RNG, grouped=True)
        bare = grouped.replace("-", "")
        assert ids.th_id_valid(bare) and stdnum_thai.is_valid(bare)
        assert kinds(f"Thai ID {grouped} matched") == [("th_id", grouped)]
        assert kinds(f"id {bare}") == [("th_id", bare)]
        wrong = bare[:12] + str((int(bare[12]) + 1) % 10)
        assert not ids.th_id_valid(wrong)
    assert not ids.th_id_valid("0" + bare[1:]) and not ids.th_id_valid("9" + bare[1:])


# -- Malaysia MyKad: YYMMDD-PB-###G (no check digit) -----------------------------------
def test_mykad_date_and_place_agree_with_python_stdnum():
    for _ in range(200):
        digits = "".join(RNG.choice("0123456789") for _ in range(12))
        assert ids.my_mykad_valid(digits) == stdnum_mykad.is_valid(digits), digits
    assert not ids.my_mykad_valid("771305021234")  # month 13
    assert not ids.my_mykad_valid("770305171234")  # place code 17 is no one's


def test_mykad_shaped_anywhere_bare_only_where_named():
    number = samples.my_mykad(RNG)
    bare = number.replace("-", "")
    assert kinds(f"MyKad {number} verified") == [("my_mykad", number)]
    assert kinds(f"pemegang {number}") == [("my_mykad", number)]  # its shape says enough
    assert kinds(f"No. K/P: {bare}") == [("my_mykad", bare)]
    assert kinds(f"invoice total {bare}") == []  # bare twelve digits: could be anything


# -- Indonesia NIK: region + DDMMYY (+40 for women) + 4 (no check digit) ---------------
def test_nik_agrees_with_python_stdnum_and_women_add_forty():
    for woman in (False, True):
        number = samples.id_nik(RNG, woman=woman)
        assert ids.id_nik_valid(number) and stdnum_nik.is_valid(number)
        assert kinds(f"NIK {number} terdaftar") == [("id_nik", number)]
    for _ in range(300):
        digits = "".join(RNG.choice("0123456789") for _ in range(16))
        assert ids.id_nik_valid(digits) == stdnum_nik.is_valid(digits), digits
    assert not ids.id_nik_valid("9971011708450001")  # no province 99
    assert not ids.id_nik_valid("3171013013450001")  # month 13


# -- Vietnam CCCD: province + century/sex + year + 6 (structure only) -----------------
def test_cccd_structure():
    number = samples.vn_cccd(RNG)
    assert ids.vn_cccd_valid(number)
    assert not ids.vn_cccd_valid("003" + number[3:])  # 003 is no province's code
    assert not ids.vn_cccd_valid(number[:3] + "5" + number[4:])  # 22nd century
    future = f"{datetime.date.today().year % 100 + 1:02d}"
    assert not ids.vn_cccd_valid(number[:3] + "2" + future + number[6:])  # born next year


def test_cccd_needs_a_word_naming_it():
    number = samples.vn_cccd(RNG)
    assert kinds(f"Số CCCD: {number}") == [("vn_cccd", number)]
    assert kinds(f"căn cước công dân số {number}") == [("vn_cccd", number)]
    assert kinds(f"mã đơn hàng {number}") == []


# -- Philippines PhilSys: PSN 12 digits, PCN 16 (no check digit) -----------------------
def test_philsys_shaped_or_named_and_not_a_phone():
    psn = samples.ph_psn(RNG)
    assert kinds(f"presented {psn} at the branch") == [("ph_philsys", psn)]
    bare = psn.replace("-", "")
    assert kinds(f"PhilSys number {bare}") == [("ph_philsys", bare)]
    assert kinds(f"reference {bare}") == []
    assert kinds("call 0812-3456-7890") == [("phone", "0812-3456-7890")]
    assert not ids.ph_philsys_valid("111111111111")


# -- cards (Luhn + an issuer prefix), phones, e-mails ------------------------------------
def test_cards_need_luhn_and_an_issuer():
    for prefix, length in (("4", 16), ("51", 16), ("37", 15), ("62", 19)):
        number = samples.card(RNG, prefix, length)
        assert kinds(f"card {number} declined") == [("card", number)]
        digits = number.replace(" ", "")
        wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
        assert kinds(f"card {wrong}") == []
    body = "1" + "".join(RNG.choice("0123456789") for _ in range(13))  # 15 digits: no NIK
    assert kinds(f"ref {body}{luhn.calc_check_digit(body)}") == []  # no issuer starts with 1


@pytest.mark.parametrize("market", sorted(samples.PHONES))
def test_phones_of_each_market(market):
    number = samples.PHONES[market](RNG)
    assert kinds(f"reach me on {number} today") == [("phone", number)]


def test_what_is_not_a_phone():
    assert kinds("order 88123456 shipped on 2026-01-15 at 10:45, 1,234,567.89 SGD") == []
    assert kinds("call 91234567") == [("phone", "91234567")]  # bare SG: only where named
    assert kinds("v2.3.1 build 20260115093012") == []


def test_emails_and_runs_split_at_spaces():
    text = "mail alice.tan+x@mail.example.co.sg; qty 12 4111 1111 1111 1111 ok"
    assert kinds(text) == [
        ("email", "alice.tan+x@mail.example.co.sg"),
        ("card", "4111 1111 1111 1111"),
    ]


def test_only_the_kinds_asked_for():
    text = f"NRIC {samples.sg_nric(RNG)} mail bob@example.com"
    assert [f.kind for f in find_pii(text, ["email"])] == ["email"]
    assert find_pii(text, []) == []


def test_business_text_without_personal_data():
    text = (
        "Quarterly compliance report: 12 findings across the SG, MY, ID, TH, VN and PH "
        "markets; 8 closed on 2026-03-31, total 45,000.00 USD, ticket 123-4567, SKU "
        "8991234567893, build 3.14.159, call at 10:45."
    )
    assert kinds(text) == []


# -- masking and redaction -----------------------------------------------------------------
def test_masks_keep_a_recognisable_shape():
    assert mask("sg_nric", "S1234567D") == "S****567D"
    assert mask("email", "alice@example.com") == "a***@example.com"
    assert mask("card", "4111 1111 1111 1111") == "**** **** **** 1111"
    assert mask("my_mykad", "900101-14-5678") == "******-**-5678"
    assert mask("phone", "+65 9123 4567") == "+** **** *567"
    assert redaction("sg_nric") == "[SG_NRIC]"


def test_replace_masks_or_redacts_every_finding_and_nothing_else():
    nric, mail = samples.sg_nric(RNG, "S"), "bob@example.com"
    text = f"NRIC {nric}, mail {mail}."
    masked = replace(text, find_pii(text), "mask")
    assert masked == f"NRIC {nric[0]}****{nric[5:]}, mail b***@example.com."
    assert replace(text, find_pii(text), "redact") == "NRIC [SG_NRIC], mail [EMAIL]."
