"""Golden-history scenarios: the sample specs, and runs that ask people (approvals,
escalations, budget and deadline requests) or undo their work (saga)."""

from __future__ import annotations

import json
from pathlib import Path

from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.humans import BudgetRaise, DecisionInput
from podium.workflows.kinds.base import Budget
from podium.workflows.state import RunState
from temporalio.client import Client

from tests.support.polling import eventually
from tests.support.scenario_kit import (
    PRICED,
    ROOT,
    SCRIPTED,
    finish,
    open_request,
    sample,
    scenario,
    write,
)


@scenario
async def sample_market_entry(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "market_entry")]


@scenario
async def sample_deal_review(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "deal_review")]


@scenario
async def sample_support_triage(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "support_triage")]


@scenario
async def sample_asean_compliance(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "asean_compliance")]


@scenario
async def sample_vendor_onboarding(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "vendor_onboarding")]


@scenario
async def saga_on_failure(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "vendor_onboarding", {"vendor": "Shady Ltd", "amount_usd": 5})]


@scenario
async def approval_escalation(client: Client, folder: Path, url: str) -> list[str]:
    """Nobody at L1 answers; the request escalates to the CFO, who approves by Signal."""
    spec = {
        "name": "escalating",
        "agents": {"agents": {"w": SCRIPTED}},
        "steps": [
            {"id": "draft", "agent": "w"},
            {
                "id": "signoff",
                "approval": {
                    "title": "Sign {{ input.what }}",
                    "approvers": ["deal-desk"],
                    "escalate": [{"to": ["cfo"], "after": "1s"}],
                    "timeout": "1h",
                    "on_timeout": "reject",
                },
            },
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"what": "it"})
    request = await open_request(handle)

    async def escalated() -> bool:
        state = await handle.query("status", result_type=RunState)
        return "cfo" in state.requests[0].approvers

    await eventually(escalated, "the escalation to cfo", timeout=30)
    await handle.signal(
        "decision", DecisionInput(request_id=request, outcome="approve", by="cfo", comment="ok")
    )
    await finish(handle)
    return [handle.id]


@scenario
async def failure_escalation(client: Client, folder: Path, url: str) -> list[str]:
    """A failing step goes to a person, who retries it with edited inputs."""
    picky = {"model": "function:tests.support.agents:picky", "retry": {"max_attempts": 1}}
    spec = {
        "name": "hand_over",
        "agents": {"agents": {"picky": picky}},
        "steps": [
            {
                "id": "p",
                "agent": "picky",
                "with": {"x": "'bad'"},
                "on_error": "escalate",
                "escalate_to": ["ops"],
            }
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    request = await open_request(handle)
    decision = DecisionInput(request_id=request, outcome="retry", by="ops", inputs={"x": "good"})
    await handle.execute_update("decide", decision)
    await finish(handle)
    return [handle.id]


@scenario
async def budget_request(client: Client, folder: Path, url: str) -> list[str]:
    """The budget runs out; the CFO raises it."""
    spec = {
        "name": "budgeted",
        "agents": {"agents": {"a": PRICED}},
        "budget": {"tokens": 150, "on_exceed": "escalate", "escalate_to": ["cfo"]},
        "steps": [{"id": s, "agent": "a"} for s in ("one", "two", "three")],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    request = await open_request(handle)
    raised = DecisionInput(
        request_id=request, outcome="raise", by="cfo", budget=BudgetRaise(tokens=100_000)
    )
    await handle.execute_update("decide", raised)
    await finish(handle)
    return [handle.id]


@scenario
async def deadline_request(client: Client, folder: Path, url: str) -> list[str]:
    """A step misses its deadline; ops lets it go on."""
    slow = {**SCRIPTED, "latency": "2s"}
    spec = {
        "name": "late",
        "agents": {"agents": {"slow": slow, "quick": SCRIPTED}},
        "steps": [
            {
                "id": "late",
                "agent": "slow",
                "deadline": {"after": "500ms", "on_breach": "escalate", "escalate_to": ["ops"]},
            },
            {"id": "next", "agent": "quick"},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    request = await open_request(handle)
    await handle.execute_update(
        "decide", DecisionInput(request_id=request, outcome="continue", by="ops")
    )
    await finish(handle)
    return [handle.id]


@scenario
async def saga_on_cancel(client: Client, folder: Path, url: str) -> list[str]:
    """Cancelled while its second step runs: the first is undone."""
    maker = {**SCRIPTED, "side_effects": True}
    slow = {**SCRIPTED, "latency": "30s", "heartbeat": "1s"}
    spec = {
        "name": "cancel_me",
        "agents": {"agents": {"maker": maker, "undoer": SCRIPTED, "slow": slow}},
        "steps": [
            {"id": "make", "agent": "maker", "compensate": {"agent": "undoer"}},
            {"id": "wait", "agent": "slow"},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})

    async def waiting() -> bool:
        return "wait" in (await handle.query("status", result_type=RunState)).current

    await eventually(waiting, "the run to reach the slow step", timeout=30)
    await handle.cancel()
    await finish(handle)
    return [handle.id]


@scenario
async def sample_asean_quote(client: Client, folder: Path, url: str) -> list[str]:
    """The tools sample: three look-ups at once, then an approval-gated send."""
    return [await _asean_quote(client, None)]


@scenario
async def tool_loop_budget(client: Client, folder: Path, url: str) -> list[str]:
    """The tools sample under a run budget: each turn reserves and is charged in turn
    (patch ``podium-tool-loop-budget``)."""
    return [await _asean_quote(client, Budget(usd=1.0, on_exceed="fail"))]


async def _asean_quote(client: Client, budget: Budget | None) -> str:
    plan = compile_spec(ROOT / "specs" / "asean_quote.yaml", offline=True)
    if budget is not None:
        plan = plan.model_copy(update={"budget": budget})
    run_input = json.loads((ROOT / "specs" / "inputs" / "asean_quote.json").read_text())
    handle = await start_run(client, plan, run_input)
    request_id = await open_request(handle)
    decision = DecisionInput(request_id=request_id, outcome="approve", by="deal-desk")
    await handle.execute_update("decide", decision)
    await finish(handle)
    return handle.id


@scenario
async def sample_border_incident(client: Client, folder: Path, url: str) -> list[str]:
    """The supervise sample: a lead delegates per market, asks the duty manager, ends."""
    plan = compile_spec(ROOT / "specs" / "border_incident.yaml", offline=True)
    run_input = json.loads((ROOT / "specs" / "inputs" / "border_incident.json").read_text())
    handle = await start_run(client, plan, run_input)
    request_id = await open_request(handle)
    decision = DecisionInput(request_id=request_id, outcome="approve", by="logistics-duty")
    await handle.execute_update("decide", decision)
    await finish(handle)
    return [handle.id]
