"""What a guard costs: milliseconds per 10 KB of text screened, against the target of 2 ms.

    .venv/bin/python bench/guards.py [--texts 20] [--rounds 7]

The text is business prose of support tickets, KYC notes, tool results (JSON) and
reports (``tests/support/pii_samples.mixed_text``): made-up personal data of every kind
about once per 150 characters (~70 per 10 KB, many more than real text holds) among
numbers that are not personal data (orders, dates, amounts, SKUs, times), so nearly every
recognizer's check runs; then text with one sentence in five holding personal data, and
text with none (its numbers still looked at). Each round screens fresh texts (new
numbers: no cache helps), the checks alternating: personal data masked (every kind), the
injection rules, and both together (a guarded tool result: ``output: mask`` and
``injection``). Prints ms per 10 KB (median, min–max over the rounds) and the worst
round's ratio to the 2 ms target.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from harness import spread
from podium.activities.guards.screening import screen_injection, screen_pii
from podium.activities.guards.settings import PiiCheck

from tests.support.pii_samples import mixed_text

TARGET_MS = 2.0
SIZE = 10_240
MASK = PiiCheck()


def typical(rng: random.Random) -> str:
    """One sentence in five with personal data (~15 items per 10 KB)."""
    return mixed_text(rng, SIZE, personal=0.2)


def prose(rng: random.Random) -> str:
    """No personal data: only the sentences without it (numbers that are none)."""
    return mixed_text(rng, SIZE, personal=0.0)


CHECKS: dict[str, Callable[[str], Any]] = {
    "personal data (mask, every kind)": lambda text: screen_pii(text, MASK, "input"),
    "injection rules": lambda text: screen_injection(text, "the result"),
    "both (a guarded tool result)": lambda text: (
        screen_injection(text, "the result"),
        screen_pii(text, MASK, "the result"),
    ),
}


def ms_per_10kb(check: Callable[[str], Any], texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        check(text)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms / (sum(len(t) for t in texts) / SIZE)


def measure(name: str, make: Callable[[random.Random], str], count: int, rounds: int) -> None:
    rng = random.Random(27)
    for check in CHECKS.values():  # warm up: imports, code tables, numbering plans
        ms_per_10kb(check, [make(rng) for _ in range(3)])
    times: dict[str, list[float]] = {label: [] for label in CHECKS}
    for round_no in range(rounds):
        order = list(CHECKS.items())
        if round_no % 2:
            order.reverse()  # alternate which check goes first
        for label, check in order:
            times[label].append(ms_per_10kb(check, [make(rng) for _ in range(count)]))
    print(f"\n{name}: ms per 10 KB, {rounds} rounds of {count} fresh texts")
    for label, values in times.items():
        ratio = max(values) / TARGET_MS
        print(f"  {label:34} {spread(values, 3)}; worst / target {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    measure("dense mixed text (~70 personal data items)", mixed_text, args.texts, args.rounds)
    measure("typical mixed text (~15 items)", typical, args.texts, args.rounds)
    measure("text without personal data", prose, args.texts, args.rounds)
    print(f"\ntarget: <= {TARGET_MS:g} ms per 10 KB")


if __name__ == "__main__":
    main()
