"""Spend windows (catalog ``policy: spend``): each call reserves its worst case in the
window's ledger before it is sent and settles after; a call that would pass the cap fails
its step or waits for a person, as the window declares."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml
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
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import resolve, show, stats, status
from podium.starters.devserver import free_port
from podium.starters.launch import start_run
from podium.workers.worker import metrics_runtime
from podium.workflows import spend_ledger
from podium.workflows.kinds.agent import AgentNode
from podium.workflows.spend_ledger import PodiumSpendLedger
from podium.workflows.state import RunState
from podium.workflows.steps.budget import estimate
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.support.polling import eventually, eventually_sync

pytestmark = pytest.mark.usefixtures("worker")

WRITER = {
    "model": "scripted",
    "price": {"input_per_mtok": 1000, "output_per_mtok": 2000},
    "max_output_tokens": 50,
    "script": [{"output": "forty characters of text, padded out...."}],
}


def catalog(**spend) -> dict:
    flaky = {**WRITER, "faults": {"fail_times": 1, "error": "ProviderServerError"}}
    agents = {"writer": WRITER, "flaky": flaky}
    return {"policy": {"spend": {"per": "input.market", **spend}}, "agents": agents}


def steps(ids: str = "abc", agent: str = "writer") -> dict:
    return {
        "name": "spender",
        "agents": "agents.yaml",
        "steps": [{"id": s, "agent": agent, "with": {"topic": "'budgets'"}} for s in ids],
    }


def market() -> str:
    """A key of its own for each test (the ledgers outlive a test)."""
    return f"m-{uuid.uuid4().hex[:8]}"


async def call_cost(client, write_spec) -> tuple[float, float]:
    """(what one call of ``writer`` costs, what it reserves): the reservation is the
    prompt's estimate plus max_output_tokens, at the agent's price."""
    plan = compile_spec(write_spec(steps("a"), {"agents": {"writer": WRITER}}))
    result = await (await start_run(client, plan, {})).result()
    node = plan.steps[0]
    assert isinstance(node, AgentNode)
    need = node.agent.price.cost(estimate(node.agent, {"topic": "budgets"}, None))
    return result.state.cost_usd, need


async def figures(client, key: str, settled: bool = True) -> LedgerState:
    """The window's ledger (once every call has settled, with ``settled``)."""
    handle = client.get_workflow_handle(ledger_id("agents", key))

    async def read() -> LedgerState | None:
        state = await handle.query("figures", result_type=LedgerState)
        return state if state.holds == {} or not settled else None

    return await eventually(read, "the window's calls to settle")


def today(state: LedgerState):
    return state.periods[max(p for p in state.periods if p.startswith("day:"))]


async def test_fail_stops_the_call_that_would_pass_the_cap(client, write_spec):
    cost, need = await call_cost(client, write_spec)
    assert cost < need  # the reservation is the worst case
    cap = 2 * cost + need - 1e-7  # a and b fit; c would not, whatever settles
    plan = compile_spec(write_spec(steps(), catalog(usd_per_day=cap, on_exhausted="fail")))
    key = market()
    handle = await start_run(client, plan, {"market": key})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert cause.type == "SpendWindowExhausted"
    assert f"spend window 'agents' for '{key}' is used up for the day" in cause.message
    assert "step 'c' (agent 'writer')" in cause.message
    state = await handle.query("status", result_type=RunState)
    assert [s.status for s in state.steps] == ["completed", "completed", "failed"]
    assert state.agents["writer"].calls == 2  # c never reached the model
    ledger = await figures(client, key)
    day = today(ledger)
    # settled at what the calls cost: the unused part of each reservation came back
    assert day.spent_usd == pytest.approx(2 * cost, abs=1e-7)
    assert (day.reserved_usd, day.calls, day.refusals, day.lost) == (0.0, 2, 1, 0)


async def test_a_failed_attempt_costs_nothing_and_its_retry_reserves_anew(client, write_spec):
    cost, _ = await call_cost(client, write_spec)
    plan = compile_spec(write_spec(steps("a", agent="flaky"), catalog(usd_per_day=1.0)))
    key = market()
    result = await (await start_run(client, plan, {"market": key})).result()
    assert result.state.steps[0].attempts == 2  # a 5xx, then an answer
    day = today(await figures(client, key))
    assert day.spent_usd == pytest.approx(result.state.cost_usd, abs=1e-9)
    assert day.spent_usd == pytest.approx(cost, abs=1e-7)
    assert (day.calls, day.reserved_usd, day.lost) == (1, 0.0, 0)


async def test_wait_asks_a_person_who_raises_the_cap(client, write_spec):
    cost, need = await call_cost(client, write_spec)
    cap = 2 * cost + need - 1e-7
    spend = catalog(usd_per_day=cap, escalate_to=["cfo"], timezone="Asia/Jakarta")
    plan = compile_spec(write_spec(steps(), spend))
    key = market()
    handle = await start_run(client, plan, {"market": key})

    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    state = await eventually(asked, "the run to ask a person")
    request = state.open_requests()[0]
    assert (request.kind, request.id, request.approvers) == ("budget", "c-1", ["cfo"])
    assert request.title.startswith(f"Spend window 'agents' for '{key}' is used up for day ")
    assert request.details["needed_usd"] == pytest.approx(2 * cost + need, abs=1e-7)
    assert state.status == "waiting"
    shown = io.StringIO()
    await status.main(client, handle.id, out=shown)
    assert f"Spend window 'agents' for '{key}'" in shown.getvalue()
    asked_for = io.StringIO()
    assert await show.main(client, handle.id, "c-1", out=asked_for) == 0
    text = asked_for.getvalue()
    assert f"why: spend window 'agents' for '{key}' is used up for the day" in text
    assert "the waiting call needs a limit of at least $" in text and "None" not in text

    too_low = await resolve.main(client, handle.id, "c-1", user="cfo", raise_usd=cap)
    assert too_low != 0  # below what the waiting call needs: refused, nothing changed
    assert await resolve.main(client, handle.id, "c-1", user="cfo", raise_usd=1.0) == 0
    result = await handle.result()
    assert [s.status for s in result.state.steps] == ["completed"] * 3
    ledger = await figures(client, key)
    day = today(ledger)
    assert day.cap_usd == 1.0 and day.spent_usd == pytest.approx(3 * cost, abs=1e-7)
    assert any("cap raised to $1 by cfo" in line for line in ledger.log)


async def test_a_raise_in_one_run_lets_the_others_waiting_go_on(client, write_spec):
    cost, need = await call_cost(client, write_spec)
    plan = compile_spec(write_spec(steps("a"), catalog(usd_per_day=cost + need - 1e-7)))
    key = market()
    await (await start_run(client, plan, {"market": key})).result()  # the day's first call
    first, second = [await start_run(client, plan, {"market": key}) for _ in range(2)]

    async def waiting(handle) -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    await eventually(lambda: waiting(first), "the first run to ask")
    await eventually(lambda: waiting(second), "the second run to ask")
    assert await resolve.main(client, first.id, "a-1", user="ops", raise_usd=1.0) == 0
    done = await second.result()  # told by the ledger: no one answered it
    request = done.state.requests[0]
    assert request.status == "cancelled" and request.decision is None
    assert "withdrawn: the window's cap was raised" in request.history[-1]
    await first.result()
    assert today(await figures(client, key)).spent_usd == pytest.approx(3 * cost, abs=1e-7)


async def test_continue_lets_the_waiting_call_go_over(client, write_spec):
    cost, need = await call_cost(client, write_spec)
    plan = compile_spec(write_spec(steps("ab"), catalog(usd_per_day=cost + need - 1e-7)))
    key = market()
    handle = await start_run(client, plan, {"market": key})

    async def asked() -> bool:
        return bool((await handle.query("status", result_type=RunState)).open_requests())

    await eventually(asked, "the run to ask a person")
    assert await resolve.main(client, handle.id, "b-1", user="ops", go_on=True) == 0
    result = await handle.result()
    assert any("went over by ops" in flag for flag in result.state.flags)
    day = today(await figures(client, key))
    assert day.over == 1 and day.spent_usd == pytest.approx(2 * cost, abs=1e-7)


async def test_a_sub_workflow_spends_under_its_parents_window(client, write_spec, tmp_path):
    cost, _ = await call_cost(client, write_spec)
    child = {"name": "child", "agents": {"agents": {"writer": WRITER}}}
    child["steps"] = [{"id": "inner", "agent": "writer", "with": {"topic": "'budgets'"}}]
    (tmp_path / "child.yaml").write_text(yaml.safe_dump(child))
    parent = steps("a")
    parent["steps"].append({"id": "sub", "workflow": "child.yaml"})
    plan = compile_spec(write_spec(parent, catalog(usd_per_day=1.0)))
    key = market()
    result = await (await start_run(client, plan, {"market": key})).result()
    assert result.state.cost_usd == pytest.approx(2 * cost, abs=1e-7)
    day = today(await figures(client, key))  # the child's call is in the parent's window
    assert day.calls == 2 and day.spent_usd == pytest.approx(2 * cost, abs=1e-7)


async def test_podium_stats_shows_each_window_against_its_caps(client, write_spec):
    cost, _ = await call_cost(client, write_spec)
    plan = compile_spec(write_spec(steps("a"), catalog(usd_per_day=0.5, usd_per_month=3)))
    key = market()
    await (await start_run(client, plan, {"market": key})).result()
    await figures(client, key)
    out = io.StringIO()
    assert await stats.main(client, out=out) == 0
    row = next(line for line in out.getvalue().splitlines() if f"agents/{key}" in line)
    assert f"${cost:.6f}" in row and "$0.500000" in row and "$3.000000" in row


# -- the ledger itself ---------------------------------------------------------------


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
