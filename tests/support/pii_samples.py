"""Made-up personal data for the guards' tests and bench: every number is generated with
its kind's own algorithm from a seeded random source, so none is a real person's (and a
checksum test fails if the algorithm is wrong, not because a sample went stale)."""

from __future__ import annotations

import random

from podium.activities.guards import national_ids as ids
from stdnum import luhn

MY_PLACES = ("01", "07", "10", "14", "21", "59")
"""A few JPN place-of-birth codes (Johor, Pulau Pinang, Selangor, Kuala Lumpur, Sabah…)."""
ID_REGIONS = ("3171", "3273", "1101", "5171", "7371")
"""A few province + regency codes (Jakarta Pusat, Bandung, Simeulue, Denpasar, Makassar)."""


def sg_nric(rng: random.Random, prefix: str | None = None) -> str:
    """S/T/F/G/M + 7 digits + the right check letter."""
    prefix = prefix or rng.choice("STFGM")
    digits = "".join(rng.choice("0123456789") for _ in range(7))
    return prefix + digits + ids.sg_check_letter(prefix, digits)


def th_id(rng: random.Random, grouped: bool = False) -> str:
    """13 digits (first 1–8) with the mod-11 check digit; grouped 1-4-5-2-1 if asked."""
    body = str(rng.randint(1, 8)) + "".join(rng.choice("0123456789") for _ in range(11))
    number = body + ids.th_check_digit(body)
    if not grouped:
        return number
    return "-".join((number[0], number[1:5], number[5:10], number[10:12], number[12]))


def my_mykad(rng: random.Random, grouped: bool = True) -> str:
    """YYMMDD-PB-#### with a real date and a known place code."""
    date = f"{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    serial = f"{rng.randint(0, 9999):04d}"
    place = rng.choice(MY_PLACES)
    return f"{date}-{place}-{serial}" if grouped else date + place + serial


def id_nik(rng: random.Random, woman: bool = False) -> str:
    """Region (province + regency + district) + DDMMYY (+40 for women) + 4 digits."""
    day = rng.randint(1, 28) + (40 if woman else 0)
    date = f"{day:02d}{rng.randint(1, 12):02d}{rng.randint(50, 99):02d}"
    return f"{rng.choice(ID_REGIONS)}{rng.randint(1, 30):02d}{date}{rng.randint(1, 9999):04d}"


def vn_cccd(rng: random.Random) -> str:
    """Province + century/sex digit (0–3) + year + 6 random digits, born in the past."""
    century = rng.choice("0123")
    year = rng.randint(50, 99) if century in "01" else rng.randint(0, 20)
    tail = "".join(rng.choice("0123456789") for _ in range(6))
    return f"{rng.choice(sorted(ids.VN_PROVINCES))}{century}{year:02d}{tail}"


def ph_psn(rng: random.Random, grouped: bool = True) -> str:
    """A 12-digit PhilSys number (random: no check digit exists)."""
    digits = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(11))
    return "-".join((digits[:4], digits[4:8], digits[8:])) if grouped else digits


def card(rng: random.Random, prefix: str = "4", length: int = 16) -> str:
    """A card number with a valid Luhn digit, written in fours."""
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    number = body + luhn.calc_check_digit(body)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


PHONES = {
    "SG": lambda r: f"+65 {r.choice('89')}{r.randint(0, 999):03d} {r.randint(0, 9999):04d}",
    "MY": lambda r: f"012-{r.randint(200, 999)} {r.randint(1000, 9999)}",
    "ID": lambda r: f"0812-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}",
    "TH": lambda r: f"081 {r.randint(200, 999)} {r.randint(1000, 9999)}",
    "VN": lambda r: f"0912 {r.randint(200, 999)} {r.randint(100, 999)}",
    "PH": lambda r: f"0917 {r.randint(200, 999)} {r.randint(1000, 9999)}",
}
"""Mobile numbers in each market's usual national (or, SG, international) format."""


def email(rng: random.Random) -> str:
    name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
    return f"{name}.{rng.randint(1, 99)}@example.com"


def one_of_each(rng: random.Random) -> dict[str, str]:
    """One made-up value of every kind, written as people write them (named where the
    kind needs a naming word)."""
    return {
        "email": email(rng),
        "phone": PHONES[rng.choice(sorted(PHONES))](rng),
        "card": card(rng),
        "sg_nric": sg_nric(rng),
        "my_mykad": my_mykad(rng),
        "th_id": th_id(rng, grouped=True),
        "id_nik": id_nik(rng),
        "ph_philsys": ph_psn(rng),
        "vn_cccd": "CCCD " + vn_cccd(rng),  # (bare, it needs a word naming it)
    }


def _plain(rng: random.Random) -> dict[str, str]:
    """Numbers that are not personal data, as business text has them."""
    return {
        "order": str(rng.randint(10_000_000, 99_999_999)),
        "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "amount": f"{rng.randint(1, 99)},{rng.randint(100, 999)}.{rng.randint(0, 99):02d}",
        "sku": str(rng.randint(10**12, 10**13 - 1)),
        "n": str(rng.randint(2, 40)),
        "ref": f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
    }


TEMPLATES = (
    "Hi team, the customer {email} called from {phone} about order #{order} placed on "
    "{date}; the refund of {amount} SGD is still pending.",
    "KYC note: applicant NRIC {sg_nric} confirmed the address; risk score {n}, reviewed at {time}.",
    '{{"order_id": {order}, "status": "shipped", "total": "{amount}", "updated_at": '
    '"{date}T10:15:00Z", "sku": "{sku}", "parcels": {n}}}',
    "Payment with card {card} was declined at {time}; the customer will retry tomorrow.",
    "MyKad {my_mykad} verified against the registry; account {ref} opened on {date}.",
    "Nomor NIK {id_nik} terdaftar; pesanan {order} dikirim pada {date}.",
    "Thai ID {th_id} matched; policy {ref} renewed for {amount} THB.",
    "Khách hàng có số {vn_cccd} đã được xác minh; đơn hàng {order} giao ngày {date}.",
    "PhilSys {ph_philsys} presented at the branch; loan {ref} approved for {amount} PHP.",
    "Quarterly compliance report: {n} findings across the SG, MY, ID, TH, VN and PH "
    "markets, {n} closed and {n} open; the next review is on {date}.",
    "Shipment {sku} left the Jakarta warehouse at {time} with {n} parcels, due {date}.",
    "The vendor confirmed the new delivery window and asked us to update the purchase "
    "order before the end of the month, after the finance review.",
    "Please summarise the open tickets by market and flag anything that breaches the "
    "service level agreement; escalate the rest to the regional lead.",
)
"""Sentences of support tickets, KYC notes, tool results and reports."""


PLAIN = TEMPLATES[-4:]
"""The sentences without personal data (numbers that are none: counts, dates, SKUs)."""


def mixed_text(rng: random.Random, size: int = 10_240, personal: float | None = None) -> str:
    """``size`` characters of business text: sentences of ``TEMPLATES`` with made-up
    personal data of every kind among numbers that are not personal data (orders, dates,
    amounts, SKUs, times). ``personal``: the share of sentences that hold personal data
    (default: as many as the templates do, ~9 in 13 — one item per ~150 characters)."""
    out: list[str] = []
    length = 0
    while length < size:
        if personal is None:
            template = rng.choice(TEMPLATES)
        elif rng.random() < personal:
            template = rng.choice(TEMPLATES[:-4])
        else:
            template = rng.choice(PLAIN)
        sentence = template.format(**one_of_each(rng), **_plain(rng))
        out.append(sentence)
        length += len(sentence) + 1
    return " ".join(out)[:size]
