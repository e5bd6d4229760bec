"""Tools that tests' agents call (``function:tests.support.tools:…``): each logs its
calls to the file ``PODIUM_TEST_TOOL_LOG`` names (one JSON line per completed call)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel


def _log(entry: dict) -> None:
    path = os.environ.get("PODIUM_TEST_TOOL_LOG")
    if path:
        with Path(path).open("a") as f:
            f.write(json.dumps(entry) + "\n")


RATES = {("USD", "THB"): 35.2, ("USD", "SGD"): 1.34, ("USD", "IDR"): 15800.0}


def fx_rate(base: str, quote: Literal["THB", "SGD", "IDR"], idempotency_key: str = "") -> dict:
    """Today's exchange rate from one currency to another."""
    _log({"tool": "fx_rate", "base": base, "quote": quote, "key": idempotency_key})
    if (base, quote) not in RATES:
        raise ValueError(f"no rate for {base}/{quote}")
    return {"base": base, "quote": quote, "rate": RATES[(base, quote)]}


class TaxQuestion(BaseModel):
    country: str
    amount: float


def vat(country: str, amount: float) -> dict:
    """Value-added tax on an amount in a South-East Asian country."""
    rates = {"TH": 0.07, "SG": 0.09, "ID": 0.11}
    _log({"tool": "vat", "country": country})
    return {"country": country, "vat": round(amount * rates[country], 2)}


async def slow_lookup(topic: str, seconds: float = 1.0, idempotency_key: str = "") -> dict:
    """Look something up slowly (kill tests)."""
    await asyncio.sleep(seconds)
    _log({"tool": "slow_lookup", "topic": topic, "key": idempotency_key, "at": time.time()})
    return {"topic": topic, "found": True}


def send_quote(customer: str, total: float, idempotency_key: str = "") -> dict:
    """Send the quote to the customer (a side effect)."""
    _log({"tool": "send_quote", "customer": customer, "total": total, "key": idempotency_key})
    return {"sent": True, "customer": customer}


def quick_lookup(topic: str) -> dict:
    """Answer at once (benchmarks)."""
    return {"topic": topic, "found": True}


def reserve_fx(currency: str, amount: float, idempotency_key: str = "") -> dict:
    """Hold an amount of a currency for a customer (a side effect, undone by release_fx)."""
    _log({"tool": "reserve_fx", "currency": currency, "amount": amount, "key": idempotency_key})
    return {"reserved": amount, "currency": currency}


def release_fx(currency: str, amount: float, idempotency_key: str = "") -> dict:
    """Release what reserve_fx held."""
    _log({"tool": "release_fx", "currency": currency, "amount": amount, "key": idempotency_key})
    return {"released": amount, "currency": currency}


def vat_twin(country: str, amount: float) -> dict:
    """The same signature as ``vat``, another callable (a worker allow-list test)."""
    _log({"tool": "vat_twin", "country": country})
    return {"country": country, "vat": 0.0}


_seen: set[str] = set()


def reserve_fx_when_free(currency: str, amount: float, idempotency_key: str = "") -> dict:
    """``reserve_fx``, busy the first time it gets a key (in this process): its caller
    retries."""
    if idempotency_key not in _seen:
        _seen.add(idempotency_key)
        raise ConnectionError("the FX desk is busy")
    return reserve_fx(currency, amount, idempotency_key)
