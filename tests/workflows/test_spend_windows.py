"""Spend windows (catalog ``policy: spend``): each call reserves its worst case in the
window's ledger before it is sent and settles after; a call that would pass the cap fails
its step or waits for a person, as the window declares."""

from __future__ import annotations

import io
import uuid

import pytest
import yaml
from podium.activities.spend_contracts import (
    LedgerState,
    ledger_id,
)
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import resolve, show, stats, status
from podium.starters.launch import start_run
from podium.workflows.kinds.agent import AgentNode
from podium.workflows.state import RunState
from podium.workflows.steps.budget import estimate
from temporalio.client import (
    WorkflowFailureError,
)

from tests.support.polling import eventually

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
