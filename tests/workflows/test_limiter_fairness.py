"""A provider's limiter shares its capacity between fairness keys by weight: a flood of one
market's calls books only a short horizon ahead, so another market's calls are not queued
behind the whole flood (the real limiter workflow, booked as workers book it)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from podium.activities import limits
from podium.activities.limiter_contracts import (
    LIMITER_WORKFLOW,
    FairRequest,
    Lease,
    LeaseBatch,
    LimiterState,
    limiter_id,
)
from temporalio import workflow
from temporalio.worker import Worker

pytestmark = pytest.mark.usefixtures("worker")

RPS = 5.0


async def grant_order(
    client, flood: dict[str, int], keys: dict[str, str], weights: dict[str, float] | None = None
) -> list[str]:
    """Book ``flood[name]`` requests per market (the first market first, the others
    0.3 s later) with ``keys[name]`` as fairness key and ``weights[name]`` (default 1);
    the markets in slot order."""
    provider = f"fair-{uuid.uuid4().hex[:6]}"
    booker = limits._Booker(client, provider)

    def book(name: str) -> asyncio.Task:
        weight = (weights or {}).get(name, 1.0)
        request = FairRequest(
            tokens=0, requests_per_second=RPS, fairness_key=keys[name], weight=weight
        )
        return asyncio.create_task(booker.book(request))

    first, *others = flood
    tasks = [(first, book(first)) for _ in range(flood[first])]
    await asyncio.sleep(0.3)
    tasks += [(name, book(name)) for name in others for _ in range(flood[name])]
    leases = await asyncio.wait_for(asyncio.gather(*(t for _, t in tasks)), 60)
    await client.get_workflow_handle(limiter_id(provider)).terminate()
    slots = sorted((lease.granted_at, name) for (name, _), lease in zip(tasks, leases, strict=True))
    gaps = [(b[0] - a[0]).total_seconds() for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 1 / RPS * 0.97, "the rate limit itself still holds"
    return [name for _, name in slots]


async def test_a_flooding_market_does_not_starve_another(client):
    flood = {"TH": 30, "VN": 3}
    fair = await grant_order(client, flood, {"TH": "TH", "VN": "VN"})
    # TH's flood booked the first ~2 s (about 10 slots); then the markets alternate
    vn = [i for i, m in enumerate(fair) if m == "VN"]
    assert vn[0] <= 13 and vn == [vn[0], vn[0] + 2, vn[0] + 4], fair
    # control: the same calls without fairness keys are served in arrival order
    fifo = await grant_order(client, flood, {"TH": "", "VN": ""})
    assert [i for i, m in enumerate(fifo) if m == "VN"] == [30, 31, 32], fifo


async def test_weights_share_the_limit(client):
    keys = {"TH": "TH", "VN": "VN"}
    order = await grant_order(client, {"TH": 24, "VN": 24}, keys, {"VN": 3.0})
    contended = order[10:30]  # after TH's head start, while both still wait
    assert 14 <= contended.count("VN") <= 16, "".join(m[0] for m in order)  # 3 : 1


async def test_a_call_later_than_the_horizon_only_by_its_own_size_still_gets_its_slot(client):
    """5,000 tokens at 100 tokens/s with a 1,000-token burst: its slot is 40 s away even
    with a full bucket; it must be booked there, not wait for a horizon it never fits."""
    provider = f"big-{uuid.uuid4().hex[:6]}"
    booker = limits._Booker(client, provider)
    request = FairRequest(tokens=5000, tokens_per_minute=6000, burst=1000, fairness_key="TH")
    lease = await asyncio.wait_for(booker.book(request), 10)
    await client.get_workflow_handle(limiter_id(provider)).terminate()
    assert 39 <= lease.waited_s <= 41


@workflow.defn(name=LIMITER_WORKFLOW, sandboxed=False)
class LimiterBeforeFairBooking:
    """A provider limiter as deployed before fair booking (only ``acquire``): what a
    rolling deploy's new workers meet while an old orchestration worker runs it."""

    @workflow.run
    async def run(self, state: LimiterState) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update(name="acquire")
    def acquire(self, batch: LeaseBatch) -> list[Lease]:
        return [
            Lease(tokens=r.tokens, granted_at=workflow.now(), waited_s=0.0) for r in batch.requests
        ]


async def test_new_workers_book_the_old_way_with_a_limiter_deployed_before(client):
    provider = f"old-{uuid.uuid4().hex[:6]}"
    queue = f"old-limiter-{provider}"
    async with Worker(client, task_queue=queue, workflows=[LimiterBeforeFairBooking]):
        await client.start_workflow(
            LIMITER_WORKFLOW,
            LimiterState(provider=provider, requests_per_second=5),
            id=limiter_id(provider),
            task_queue=queue,
        )
        booker = limits._Booker(client, provider)
        request = FairRequest(tokens=0, requests_per_second=5, fairness_key="TH")
        leases = await asyncio.wait_for(
            asyncio.gather(*(booker.book(request) for _ in range(3))), 20
        )
        assert len(leases) == 3 and booker.legacy
        await client.get_workflow_handle(limiter_id(provider)).terminate()
