"""Budgets: reserve before each call, settle after, fail or escalate when the money runs out."""

from __future__ import annotations

import pytest
from podium.activities.contracts import Usage
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.humans import BudgetRaise, DecisionInput
from podium.workflows.kinds.agent import AgentNode
from podium.workflows.state import RunState
from podium.workflows.steps.budget import estimate
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError

from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")

CATALOG = {
    "agents": {
        "writer": {
            "model": "scripted",
            "price": {"input_per_mtok": 1000, "output_per_mtok": 2000},
            "max_output_tokens": 50,
            "script": [{"output": "forty characters of text, padded out...."}],
        },
        "slow-writer": {  # uses nearly all it reserves: 200 characters = 50 tokens
            "model": "scripted",
            "price": {"input_per_mtok": 1000, "output_per_mtok": 2000},
            "max_output_tokens": 52,
            "latency": "1s",
            "script": [{"output": "x" * 200}],
        },
        "sloppy": {
            "model": "scripted",
            "price": {"input_per_mtok": 1000, "output_per_mtok": 2000},
            "output": {"type": "object", "required": ["ok"]},
            "script": [{"output": {"nope": 1}}],
            "fallback": ["tidy"],
            "repair_attempts": 1,
        },
        "tidy": {
            "model": "scripted",
            "price": {"input_per_mtok": 1000, "output_per_mtok": 2000},
            "output": {"type": "object", "required": ["ok"]},
            "script": [{"output": {"ok": True}}],
        },
    }
}


def three_steps(budget: dict | None = None, agent: str = "writer") -> dict:
    spec: dict = {
        "name": "spender",
        "agents": "agents.yaml",
        "steps": [{"id": s, "agent": agent, "with": {"topic": "'budgets'"}} for s in "abc"],
    }
    if budget is not None:
        spec["budget"] = budget
    return spec


def parallel_calls(name: str, agent: str, ids: str) -> dict:
    """A spec with one parallel step: one call of ``agent`` per branch id."""
    branches = [{"id": k, "agent": agent, "with": {"topic": "'budgets'"}} for k in ids]
    return {
        "name": name,
        "agents": "agents.yaml",
        "steps": [{"id": "fan", "parallel": branches}],
    }


async def one_call(client, write_spec) -> tuple[Usage, float, Usage, float]:
    """Usage and cost of one call of the sample step, and the estimate reserved for it."""
    plan = compile_spec(write_spec(three_steps(), CATALOG))
    result = await (await start_run(client, plan, {})).result()
    step = result.state.steps[0]
    node = plan.steps[0]
    assert isinstance(node, AgentNode)
    need = estimate(node.agent, {"topic": "budgets"}, None)
    return step.usage, step.cost_usd, need, node.agent.price.cost(need)


async def test_fail_stops_the_run_before_the_call_that_would_not_fit(client, write_spec):
    used, cost, need, _ = await one_call(client, write_spec)
    assert used.total_tokens < need.total_tokens  # the estimate is an upper bound
    limit = used.total_tokens + need.total_tokens  # a, b fit; c would not
    plan = compile_spec(write_spec(three_steps({"tokens": limit, "on_exceed": "fail"}), CATALOG))
    handle = await start_run(client, plan, {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert cause.type == "BudgetExceeded"
    assert "run budget exhausted at step 'c' (agent 'writer')" in cause.message
    assert f"> budget {limit} tokens" in cause.message
    state = await handle.query("status", result_type=RunState)
    ledger = state.budget
    assert ledger is not None
    assert ledger.spent_tokens == 2 * used.total_tokens
    assert ledger.spent_usd == pytest.approx(2 * cost, abs=1e-9)
    assert (ledger.reserved_tokens, ledger.reserved_usd, ledger.calls) == (0, 0.0, 2)
    assert state.cost_usd == pytest.approx(ledger.spent_usd, abs=1e-9)
    assert state.agents["writer"].calls == 2  # c never reached the model
    assert [s.status for s in state.steps] == ["completed", "completed", "failed"]


async def test_escalate_asks_a_person_who_raises_the_budget(client, write_spec):
    used, cost, need, need_usd = await one_call(client, write_spec)
    limit = used.total_tokens + need.total_tokens
    budget = {"tokens": limit, "on_exceed": "escalate", "escalate_to": ["cfo"]}
    plan = compile_spec(write_spec(three_steps(budget), CATALOG))
    handle = await start_run(client, plan, {})

    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    state = await eventually(asked, "the budget request to open", timeout=30)
    request = state.open_requests()[0]
    assert request.kind == "budget" and request.approvers == ["cfo"]
    assert request.id == "c-1"
    needed = 2 * used.total_tokens + need.total_tokens
    assert request.details["needed_tokens"] == needed
    assert state.status == "waiting"

    too_low = DecisionInput(
        request_id="c-1", outcome="raise", by="cfo", budget=BudgetRaise(tokens=needed - 1)
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("decide", too_low)
    assert "below what the waiting call needs" in str(refused.value.cause)
    raised = too_low.model_copy(update={"budget": BudgetRaise(tokens=needed)})
    await handle.execute_update("decide", raised)

    result = await handle.result()
    ledger = result.state.budget
    assert ledger is not None and ledger.tokens == needed
    assert ledger.spent_tokens == 3 * used.total_tokens
    assert ledger.spent_usd == pytest.approx(3 * cost, abs=1e-9)
    assert ledger.history == [f"tokens limit {limit} → {needed} by cfo (update)"]
    assert result.state.requests[0].decision.outcome == "raise"


async def test_exhausted_mid_parallel_stops_new_calls_and_settles_in_flight(client, write_spec):
    spec = parallel_calls("fan", "slow-writer", "pqr")
    plan = compile_spec(write_spec(spec, CATALOG))
    agent = plan.agents_used()["slow-writer"]
    need = estimate(agent, {"topic": "budgets"}, None).total_tokens
    # Room for two in-flight estimates; the third waits for them to settle, and then
    # still does not fit.
    spec["budget"] = {"tokens": 2 * need}
    handle = await start_run(client, compile_spec(write_spec(spec, CATALOG)), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert info.value.cause.type == "BudgetExceeded"
    assert "in-flight calls settled" in info.value.cause.message
    state = await handle.query("status", result_type=RunState)
    totals = state.agents["slow-writer"]
    assert totals.calls == 2  # the third never started; the two in flight finished
    assert state.budget is not None
    assert state.budget.calls == 2 and state.budget.reserved_tokens == 0
    assert state.budget.spent_tokens == totals.input_tokens + totals.output_tokens > 0
    assert sorted(s.status for s in state.steps if s.id in "pqr") == [
        "completed",
        "completed",
        "failed",
    ]


async def test_repairs_and_fallbacks_are_each_charged_once(client, write_spec):
    spec = three_steps({"usd": 10}, agent="sloppy")
    spec["steps"] = spec["steps"][:1]
    result = await (await start_run(client, compile_spec(write_spec(spec, CATALOG)), {})).result()
    state = result.state
    assert [t.agent for t in state.steps[0].tried] == ["sloppy", "sloppy", "tidy"]
    # two invalid (but billed) answers and one good one
    assert state.agents["sloppy"].failed == 2 and state.agents["tidy"].calls == 1
    assert state.budget is not None and state.budget.calls == 3
    assert state.budget.spent_tokens == state.usage.total_tokens > 0
    assert state.budget.spent_usd == pytest.approx(state.cost_usd, abs=1e-9)
    per_agent = sum(a.input_tokens + a.output_tokens for a in state.agents.values())
    assert per_agent == state.usage.total_tokens  # billed failures are in the agent totals too


async def test_a_step_cap_fails_that_step_only(client, write_spec):
    spec = three_steps()
    spec["steps"][1] |= {"budget": {"tokens": 5}, "optional": True}
    result = await (await start_run(client, compile_spec(write_spec(spec, CATALOG)), {})).result()
    b = result.state.steps[1]
    assert b.status == "failed" and b.error_type == "StepBudgetExceeded"
    assert "step 'b' is over its budget" in (b.error or "")
    assert b.budget is not None and b.budget.calls == 0
    assert result.state.steps[2].status == "completed"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", {"usd": 0}, "greater than 0"),
        ("budget", {"on_exceed": "fail"}, "a budget needs usd, tokens or both"),
        ("budget", {"usd": 1, "on_exceed": "pray"}, "'fail' or 'escalate'"),
        ("deadline", "soonish", "soonish"),
    ],
)
def test_bad_budgets_and_deadlines_are_compile_errors(write_spec, field, value, message):
    spec = three_steps()
    spec[field] = value
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec, CATALOG))
    text = str(info.value)
    assert message in text and field in text


async def test_a_call_that_fits_once_in_flight_calls_settle_waits_instead_of_failing(
    client, write_spec
):
    spec = parallel_calls("fits_later", "writer", "xyz")
    plan = compile_spec(write_spec(spec, CATALOG))
    need = estimate(plan.agents_used()["writer"], {"topic": "budgets"}, None).total_tokens
    spec["budget"] = {"tokens": 2 * need}  # three estimates do not fit at once; three calls do
    result = await (await start_run(client, compile_spec(write_spec(spec, CATALOG)), {})).result()
    assert result.state.budget is not None and result.state.budget.calls == 3
    assert result.state.budget.spent_tokens == result.state.usage.total_tokens < 2 * need


async def test_a_sub_workflow_spends_from_the_parents_budget(client, write_spec, tmp_path):
    used, cost, need, _ = await one_call(client, write_spec)
    write_spec(three_steps(), CATALOG, name="child.yaml")
    parent = {
        "name": "parent",
        "agents": "agents.yaml",
        "budget": {"tokens": used.total_tokens + need.total_tokens},
        "steps": [{"id": "sub", "workflow": "child.yaml"}],
    }
    handle = await start_run(client, compile_spec(write_spec(parent, CATALOG)), {})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert info.value.cause.type == "BudgetExceeded"
    state = await handle.query("status", result_type=RunState)
    assert state.status == "failed"
    # the child's two calls were paid from (and rolled up into) the parent's budget
    assert state.budget is not None and state.budget.spent_tokens == 2 * used.total_tokens
    assert state.cost_usd == pytest.approx(2 * cost, abs=1e-9)
    assert state.budget.in_flight == 0 and state.budget.reserved_tokens == 0
