"""Two markets flooding one provider limit 10:1: what share of it each gets.

    .venv/bin/python bench/fairshare.py [--rps 20] [--seconds 15] [--vn-weight 1]

The real limiter workflow (``PodiumTokenLimiter``) on a dev server, booked the way
workers book it (``activities.limits``): market TH asks for slots at 4× the provider's
``requests_per_second``, market VN at 0.4× (10:1), for ``--seconds``. Twice: with the
markets' fairness keys (fair sharing by weight), and without keys (every request in
arrival order, as before fair sharing). Prints, per market, the slots per second it got
after the first 3 s, its weighted share (what it is owed: its weight's share of the
limit, or all it asked for if that is less) and got/owed; and the busiest second's slots
against the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import Counter
from datetime import datetime

from harness import finish, run_workers, start_server
from podium.activities import limits
from podium.activities.limiter_contracts import LeaseRequest, limiter_id
from temporalio.client import Client


async def flood(
    client: Client,
    rps: float,
    seconds: float,
    offers: dict[str, float],
    keys: dict[str, str],
    weights: dict[str, float],
) -> dict[str, list[datetime]]:
    """Each market asks for ``offers[m]`` slots per second; the slots each got."""
    provider = f"bench-{uuid.uuid4().hex[:6]}"
    booker = limits._Booker(client, provider)
    got: dict[str, list[datetime]] = {m: [] for m in offers}
    tasks: list[asyncio.Task[None]] = []

    async def one(market: str) -> None:
        request = LeaseRequest(
            tokens=0,
            requests_per_second=rps,
            fairness_key=keys[market],
            weight=weights[market],
        )
        got[market].append((await booker.book(request)).granted_at)

    async def offer(market: str) -> None:
        interval, start = 1 / offers[market], time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            tasks.append(asyncio.create_task(one(market)))
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))

    await asyncio.gather(*(offer(m) for m in offers))
    await asyncio.sleep(2.5)  # slots within the horizon are handed out
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(1.0)  # the booker gives the cancelled requests up
    await client.get_workflow_handle(limiter_id(provider)).terminate()
    return got


def report(
    label: str,
    got: dict[str, list[datetime]],
    offers: dict[str, float],
    weights: dict[str, float],
    rps: float,
    seconds: float,
) -> None:
    start = min(min(v) for v in got.values() if v)
    window = (3.0, seconds)
    owed = _owed(offers, weights, rps)
    print(f"{label}:")
    for market, slots in got.items():
        inside = [s for s in slots if window[0] <= (s - start).total_seconds() < window[1]]
        rate = len(inside) / (window[1] - window[0])
        print(
            f"  {market}: asked {offers[market]:5.1f}/s, got {rate:5.2f}/s, owed "
            f"{owed[market]:5.2f}/s, got/owed {rate / owed[market]:.2f}"
        )
    per_second = Counter(int((s - start).total_seconds()) for slots in got.values() for s in slots)
    print(f"  busiest second: {max(per_second.values())} slots (limit {rps:g}/s)")


def _owed(offers: dict[str, float], weights: dict[str, float], rps: float) -> dict[str, float]:
    """Max-min fair shares by weight (water filling)."""
    owed: dict[str, float] = {}
    left, open_ = rps, dict(offers)
    while open_:
        total = sum(weights[m] for m in open_)
        share = {m: left * weights[m] / total for m in open_}
        small = {m: offers[m] for m in open_ if offers[m] <= share[m]}
        if not small:
            owed.update(share)
            break
        owed.update(small)
        left -= sum(small.values())
        for m in small:
            del open_[m]
    return owed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rps", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--vn-weight", type=float, default=1.0)
    args = parser.parse_args()
    env = await start_server()
    await run_workers(env, [])
    offers = {"TH": 4 * args.rps, "VN": 0.4 * args.rps}
    weights = {"TH": 1.0, "VN": args.vn_weight}
    print(
        f"provider limit {args.rps:g} requests/s; TH asks {offers['TH']:g}/s, VN "
        f"{offers['VN']:g}/s (10:1) for {args.seconds:g}s; weights TH 1, VN {args.vn_weight:g}"
    )
    for label, keys in (
        ("fair (fairness keys TH, VN)", {"TH": "TH", "VN": "VN"}),
        ("arrival order (no fairness keys)", {"TH": "", "VN": ""}),
    ):
        got = await flood(env.client, args.rps, args.seconds, offers, keys, weights)
        report(label, got, offers, weights, args.rps, args.seconds)
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
