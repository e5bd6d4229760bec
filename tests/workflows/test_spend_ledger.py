"""A spend window's ledger itself (``workflows/spend_ledger.py``): reservations held once
however often they are sent, a lost worker's hold charged in full and corrected by a late
settlement, its figures as metrics, and its life across continue-as-new."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from podium.activities.connection import connect
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.spend_contracts import (
    LedgerState,
    Reservation,
    Settlement,
    SpendAnswer,
    SpendBatch,
    SpendCaps,
    ledger_id,
)
from podium.starters.devserver import free_port
from podium.workers.worker import metrics_runtime
from podium.workflows import spend_ledger
from podium.workflows.spend_ledger import PodiumSpendLedger
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.support.polling import eventually, eventually_sync
from tests.workflows.test_spend_windows import market, today

pytestmark = pytest.mark.usefixtures("worker")


async def book(client, key: str, batch: SpendBatch) -> list[SpendAnswer]:
    start = WithStartWorkflowOperation(
        "PodiumSpendLedger",
        LedgerState(name="direct", key=key),
        id=ledger_id("direct", key),
        task_queue=ORCHESTRATION_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await client.execute_update_with_start_workflow(
        "book", batch, start_workflow_operation=start, result_type=list[SpendAnswer]
    )


CALL = "run/step/abcd1234/1"
"""A call's idempotency key and provider attempt."""


def reservation(try_no: int = 1, usd: float = 0.4, run: str = "a", call: str = CALL) -> Reservation:
    """The reservation of execution ``run`` of Temporal attempt ``try_no`` of ``call``."""
    now = datetime.now(UTC)
    return Reservation(
        id=f"{call}/{try_no}/{run}",
        call=call,
        try_no=try_no,
        usd=usd,
        tokens=100,
        day=f"day:{now:%Y-%m-%d}",
        day_ends=now + timedelta(hours=1),
        month=f"month:{now:%Y-%m}",
        month_ends=now + timedelta(days=1),
        hold_s=600,
        caps=SpendCaps(usd_per_day=1.0),
    )


async def test_the_same_reservation_twice_is_held_once_and_a_lost_worker_is_charged(client):
    key = market()
    handle = client.get_workflow_handle(ledger_id("direct", key))
    asked = SpendBatch(owner="w1", reservations=[reservation()])
    assert [a.verdict for a in await book(client, key, asked)] == ["granted"]
    # the Update sent again (its answer was lost): the same grant, not a second hold
    assert [a.verdict for a in await book(client, key, asked)] == ["granted"]
    state = await handle.query("figures", result_type=LedgerState)
    day = today(state)
    assert len(state.holds) == 1 and day.reserved_usd == pytest.approx(0.4)
    # Temporal runs the call again (its worker was lost): the first hold is charged in
    # full — the provider may have billed it — and the new attempt reserves anew
    again = SpendBatch(owner="w2", reservations=[reservation(try_no=2, run="b")])
    assert [a.verdict for a in await book(client, key, again)] == ["granted"]
    day = today(await handle.query("figures", result_type=LedgerState))
    assert (day.spent_usd, day.reserved_usd, day.lost) == (pytest.approx(0.4), 0.4, 1)
    # another call fits once the one in flight settles: "wait" (its caller asks again);
    # one that would pass the cap whatever settles: refused, with the figures
    other = reservation(call="run/step/ffff0000/1")
    (answer,) = await book(client, key, SpendBatch(owner="w2", reservations=[other]))
    assert answer.verdict == "wait"
    bigger = other.model_copy(update={"usd": 0.7})
    (answer,) = await book(client, key, SpendBatch(owner="w2", reservations=[bigger]))
    assert answer.verdict == "refused" and answer.refusal is not None
    refusal = answer.refusal
    assert (refusal.spent, refusal.reserved, refusal.need, refusal.cap) == (0.4, 0.4, 0.7, 1.0)
    # the lost worker's call answers after all: its real cost replaces the full charge;
    # the new attempt settles; the same settlement again changes nothing
    late = Settlement(id=reservation().id, usd=0.1, tokens=40)
    done = Settlement(id=reservation(try_no=2, run="b").id, usd=0.2, tokens=50)
    await book(client, key, SpendBatch(owner="w1", settlements=[late, done, done]))
    state = await handle.query("figures", result_type=LedgerState)
    day = today(state)
    assert state.holds == {} and day.reserved_usd == 0.0
    assert (day.spent_usd, day.spent_tokens, day.calls, day.lost) == (
        pytest.approx(0.3),
        90,
        2,
        0,
    )


async def test_a_second_execution_of_the_same_attempt_reserves_again(client):
    """A server restart can start one attempt twice, and each execution sends its own
    request: both reserve and both are charged."""
    key = market()
    handle = client.get_workflow_handle(ledger_id("direct", key))
    twice = [reservation(usd=0.3), reservation(usd=0.3, run="again")]
    assert [
        a.verdict for a in await book(client, key, SpendBatch(owner="w", reservations=twice))
    ] == [
        "granted",
        "granted",
    ]
    day = today(await handle.query("figures", result_type=LedgerState))
    assert (day.reserved_usd, day.lost) == (pytest.approx(0.6), 0)
    answered = [Settlement(id=r.id, usd=0.2, tokens=30) for r in twice]
    await book(client, key, SpendBatch(owner="w", settlements=answered))
    day = today(await handle.query("figures", result_type=LedgerState))
    assert (day.spent_usd, day.calls, day.reserved_usd) == (pytest.approx(0.4), 2, 0.0)


async def test_the_ledger_reports_spend_and_refusals_as_metrics(address):
    port = free_port()
    metered = await connect(address, runtime=metrics_runtime(f"127.0.0.1:{port}"))
    queue, key = f"podium-test-spend-{uuid.uuid4().hex[:6]}", market()
    spent = Settlement(id=reservation().id, usd=0.25, tokens=40)
    refused = reservation(usd=0.9, call="run/step/ffff0000/1")
    async with Worker(
        metered,
        task_queue=queue,
        workflows=[PodiumSpendLedger],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        for batch in (
            SpendBatch(owner="w", reservations=[reservation()]),
            SpendBatch(owner="w", settlements=[spent], reservations=[refused]),
        ):
            start = WithStartWorkflowOperation(
                "PodiumSpendLedger",
                LedgerState(name="metered", key=key),
                id=ledger_id("metered", key),
                task_queue=queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            await metered.execute_update_with_start_workflow(
                "book", batch, start_workflow_operation=start, result_type=list[SpendAnswer]
            )

        def scraped() -> str | None:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            return text if "podium_spend_refusals" in text else None

        text = await asyncio.to_thread(eventually_sync, scraped, "the ledger's metrics")
    labels = f'key="metered/{key}",'
    assert re.search(rf'podium_spend_usd\{{[^}}]*{labels}[^}}]*window="day"[^}}]*\}} 0\.25', text)
    assert re.search(rf'podium_spend_usd\{{[^}}]*{labels}[^}}]*window="month"[^}}]*\}} 0\.25', text)
    assert re.search(rf'podium_spend_refusals\{{[^}}]*{labels}[^}}]*window="day"[^}}]*\}} 1', text)


async def test_the_ledger_continues_as_new_with_its_figures_and_ends_only_with_nothing_to_keep(
    client, monkeypatch
):
    monkeypatch.setattr(spend_ledger, "UPDATES_PER_RUN", 3)
    monkeypatch.setattr(spend_ledger, "IDLE_S", 1.0)
    key = market()
    handle = client.get_workflow_handle(ledger_id("direct", key))
    await book(client, key, SpendBatch(owner="w", reservations=[reservation()]))
    first = (await handle.describe()).run_id
    spent = Settlement(id=reservation().id, usd=0.3, tokens=40)
    await book(client, key, SpendBatch(owner="w", settlements=[spent]))
    await book(client, key, SpendBatch(owner="w"))

    async def moved_on() -> bool:
        return (await handle.describe()).run_id != first

    await eventually(moved_on, "the ledger to continue as new")
    day = today(await handle.query("figures", result_type=LedgerState))
    assert (day.spent_usd, day.calls) == (0.3, 1)  # carried into the new run
    # a ledger whose key spent nothing ends once idle: nothing is lost
    other = market()
    nothing = Settlement(id=reservation().id, outcome="nothing")
    await book(client, other, SpendBatch(owner="w", reservations=[reservation()]))
    await book(client, other, SpendBatch(owner="w", settlements=[nothing]))
    idle = client.get_workflow_handle(ledger_id("direct", other))

    async def ended() -> bool:
        return (await idle.describe()).status == WorkflowExecutionStatus.COMPLETED

    await eventually(ended, "the idle ledger to end")
    # idle longer still, but today's spend must last until the day ends: it keeps running
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
