"""Tools of the ASEAN quote sample (``specs/asean_quote.yaml``): VAT, exchange rates and
public holidays for South-East Asian markets, and sending a quote (a side effect that a
person approves). The figures are a fixed, dated snapshot so the sample runs offline;
a real deployment would call a rates API and a CRM (``http:`` or ``mcp:`` tools)."""

from __future__ import annotations

from typing import Literal

Market = Literal["SG", "MY", "ID", "TH", "VN", "PH"]

VAT = {"SG": 0.09, "MY": 0.08, "ID": 0.11, "TH": 0.07, "VN": 0.10, "PH": 0.12}
CURRENCY = {"SG": "SGD", "MY": "MYR", "ID": "IDR", "TH": "THB", "VN": "VND", "PH": "PHP"}
USD_RATE = {"SGD": 1.34, "MYR": 4.47, "IDR": 15800.0, "THB": 35.2, "VND": 25400.0, "PHP": 58.1}
HOLIDAYS_DECEMBER = {
    "SG": ["2026-12-25"],
    "MY": ["2026-12-25"],
    "ID": ["2026-12-25", "2026-12-26"],
    "TH": ["2026-12-05", "2026-12-10", "2026-12-31"],
    "VN": [],
    "PH": ["2026-12-08", "2026-12-24", "2026-12-25", "2026-12-30", "2026-12-31"],
}


def vat_rate(market: Market) -> dict:
    """The standard VAT / GST rate of a market (as of 2026-11)."""
    return {"market": market, "vat_rate": VAT[market]}


def fx_rate(market: Market) -> dict:
    """US dollars to the market's currency (snapshot of 2026-11-30)."""
    currency = CURRENCY[market]
    return {"currency": currency, "per_usd": USD_RATE[currency], "as_of": "2026-11-30"}


def holidays(market: Market, month: Literal["2026-12"] = "2026-12") -> dict:
    """Public holidays of a market in a month (delivery dates avoid them)."""
    return {"market": market, "month": month, "holidays": HOLIDAYS_DECEMBER[market]}


def send_quote(
    customer: str, market: Market, total_local: float, idempotency_key: str = ""
) -> dict:
    """Send the quote to the customer (a side effect: a person approves each call)."""
    reference = idempotency_key  # the same key for a retried send: the CRM can dedup
    return {"sent": True, "customer": customer, "market": market, "reference": reference}
