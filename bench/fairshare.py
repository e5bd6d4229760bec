"""Two markets flooding one provider limit 10:1: what share of it each gets.

    .venv/bin/python bench/fairshare.py [--rps 20] [--seconds 15] [--vn-weight 1]
        [--tokens-per-minute N --th-tokens 2000 --vn-tokens 500]

The real limiter workflow (``PodiumTokenLimiter``) on a dev server, booked the way
workers book it (``activities.limits``): market TH asks for slots at 4× the provider's
``requests_per_second``, market VN at 0.4× (10:1), for ``--seconds``. Twice: with the
markets' fairness keys (fair sharing by weight), and without keys (every request in
arrival order, as before fair sharing). Prints, per market, the slots per second it got
after the first 3 s, its weighted share (what it is owed: its weight's share of the
limit, or all it asked for if that is less) and got/owed; and the busiest second's slots
against the limit. With ``--tokens-per-minute`` the limit is tokens per minute instead
(no requests/s), TH's calls are ``--th-tokens`` big and VN's ``--vn-tokens``, each market
asks for 4× / 0.4× the limit in tokens, and shares are counted in tokens per second.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import traceback
import uuid
from collections import Counter
from datetime import datetime

from harness import finish, finish_process, run_workers, start_server
from podium.activities import limits
from podium.activities.limiter_contracts import FairRequest, limiter_id
from temporalio.client import Client


async def flood(
    client: Client,
    limit: dict[str, float],
    seconds: float,
    offers: dict[str, float],
    keys: dict[str, str],
    weights: dict[str, float],
    sizes: dict[str, int],
) -> dict[str, list[datetime]]:
    """Each market asks for ``offers[m]`` calls per second of ``sizes[m]`` tokens; the
    slots each got."""
    provider = f"bench-{uuid.uuid4().hex[:6]}"
    booker = limits._Booker(client, provider)
    got: dict[str, list[datetime]] = {m: [] for m in offers}
    tasks: list[asyncio.Task[None]] = []

    async def one(market: str) -> None:
        request = FairRequest(
            tokens=sizes[market],
            fairness_key=keys[market],
            weight=weights[market],
            **limit,
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
    capacity: float,
    seconds: float,
    sizes: dict[str, int],
    unit: str,
) -> None:
    """Shares in ``unit`` per second: calls (sizes 1) or tokens."""
    start = min(min(v) for v in got.values() if v)
    window = (3.0, seconds)
    asked = {m: offers[m] * sizes[m] for m in offers}
    owed = _owed(asked, weights, capacity)
    print(f"{label}:")
    for market, slots in got.items():
        inside = [s for s in slots if window[0] <= (s - start).total_seconds() < window[1]]
        rate = len(inside) * sizes[market] / (window[1] - window[0])
        print(
            f"  {market}: asked {asked[market]:7.1f} {unit}/s, got {rate:7.1f}, owed "
            f"{owed[market]:7.1f}, got/owed {rate / owed[market]:.2f}"
        )
    per_second: Counter[int] = Counter()
    for market, slots in got.items():
        for slot in slots:
            per_second[int((slot - start).total_seconds())] += sizes[market]
    print(f"  busiest second: {max(per_second.values())} {unit} (limit {capacity:g}/s)")


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
    parser.add_argument("--tokens-per-minute", type=int, default=0)
    parser.add_argument("--th-tokens", type=int, default=2000)
    parser.add_argument("--vn-tokens", type=int, default=500)
    args = parser.parse_args()
    env = await start_server()
    await run_workers(env, [])
    weights = {"TH": 1.0, "VN": args.vn_weight}
    if args.tokens_per_minute:
        tokens_per_s = args.tokens_per_minute / 60
        sizes = {"TH": args.th_tokens, "VN": args.vn_tokens}
        # (no burst: every token is shared as it refills)
        limit = {"tokens_per_minute": args.tokens_per_minute, "burst": args.th_tokens}
        offers = {"TH": 4 * tokens_per_s / sizes["TH"], "VN": 0.4 * tokens_per_s / sizes["VN"]}
        capacity, unit = tokens_per_s, "tokens"
        what = f"{args.tokens_per_minute:g} tokens/minute; calls of {sizes['TH']} / {sizes['VN']}"
    else:
        sizes = {"TH": 1, "VN": 1}
        limit = {"requests_per_second": args.rps}
        offers = {"TH": 4 * args.rps, "VN": 0.4 * args.rps}
        capacity, unit = args.rps, "calls"
        what = f"{args.rps:g} requests/s"
    print(
        f"provider limit {what}; TH asks 4x the limit, VN 0.4x (10:1) for {args.seconds:g}s; "
        f"weights TH 1, VN {args.vn_weight:g}"
    )
    for label, keys in (
        ("fair (fairness keys TH, VN)", {"TH": "TH", "VN": "VN"}),
        ("arrival order (no fairness keys)", {"TH": "", "VN": ""}),
    ):
        got = await flood(env.client, limit, args.seconds, offers, keys, weights, sizes)
        report(label, got, offers, weights, capacity, args.seconds, sizes, unit)
    await finish(env)


async def guarded() -> None:
    """``main``, leaving at once on an error (the workers' tasks would hold the loop)."""
    try:
        await main()
    except BaseException:
        traceback.print_exc()
        finish_process()


if __name__ == "__main__":
    asyncio.run(guarded())
