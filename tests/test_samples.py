"""The shipped sample specs run end to end, offline, with the results a user expects."""

from __future__ import annotations

import json

import pytest
from podium.compiler.inputs import check_input
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult, RunState

from tests.conftest import ROOT
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")


async def asked(handle, what: str) -> RunState:
    """The run's state once it has a request open."""

    async def probe() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    return await eventually(probe, what, timeout=30)


async def run_sample(client, name: str, **overrides) -> RunResult:
    plan = compile_spec(ROOT / "specs" / f"{name}.yaml", offline=True)
    run_input = {
        **json.loads((ROOT / "specs" / "inputs" / f"{name}.json").read_text()),
        **overrides,
    }
    check_input(plan, run_input)
    return await (await start_run(client, plan, run_input)).result()


async def test_market_entry(client):
    result = await run_sample(client, "market_entry")
    assert result.output["recommendation"] == "enter" and result.output["risk"] == "low"
    indonesia = await run_sample(client, "market_entry", market="ID")
    assert indonesia.output["recommendation"] == "wait" and indonesia.output["risk"] == "high"


async def test_deal_review_runs_analysts_in_parallel_and_asks_for_approval(client):
    plan = compile_spec(ROOT / "specs" / "deal_review.yaml", offline=True)
    run_input = json.loads((ROOT / "specs" / "inputs" / "deal_review.json").read_text())
    handle = await start_run(client, plan, run_input)
    state = await asked(handle, "the high-risk deal did not ask for approval")
    [request] = state.open_requests()
    assert request.approvers == ["deal-desk"] and request.details["level"] == "high"
    assert request.title == "High-risk deal: Nusantara Logistics (2500000 USD)"
    await send_decision(
        handle,
        DecisionInput(
            request_id=request.id, outcome="approve", by="deal-desk", comment="board agreed"
        ),
    )
    result = await handle.result()
    assert result.output["risk"]["level"] == "high"
    assert "exclusivity" in result.output["risk"]["summary"]
    assert set(result.output["reviews"]) == {"financial", "legal", "technical"}
    assert (
        result.output["decision"]["approved"]
        and result.output["decision"]["comment"] == "board agreed"
    )
    legal, financial = result.state.step("legal"), result.state.step("financial")
    assert legal.started_at < financial.finished_at and financial.started_at < legal.finished_at
    small = await run_sample(client, "deal_review", deal_terms="standard terms", amount_usd=5000)
    assert small.output["risk"]["level"] == "low" and small.output["decision"] is None
    assert small.state.step("signoff").status == "skipped"


@pytest.mark.parametrize(
    ("message", "category", "specialist"),
    [
        ("I was charged twice, please refund", "billing", "Refund of the duplicate charge"),
        ("The app shows an error and crashes", "technical", "Update the app"),
        ("I want to return my shoes", "returns", "Return label"),
        ("Do you ship to Brunei?", "other", "a colleague will follow up"),
    ],
)
async def test_support_triage_routes_and_refines(client, message, category, specialist):
    result = await run_sample(client, "support_triage", message=message)
    assert result.output["category"] == category
    reply = result.output["reply"]
    assert specialist in reply and reply.startswith("Hi Siti, sorry for the trouble.")
    step = result.state.step("reply")
    assert step.converged and len(step.rounds) == 2 and step.rounds[0].review["approved"] is False
    assert result.state.step("answer").route_case == (
        "default" if category == "other" else category
    )


async def test_asean_compliance_maps_markets_to_their_agents(client):
    result = await run_sample(client, "asean_compliance")
    findings = result.output["findings"]
    assert [f["market"] for f in findings] == ["SG", "MY", "ID", "TH", "VN", "PH"]
    assert findings[2]["law"] == "UU PDP 27/2022" and findings[2]["risk"] == "high"
    assert result.output["report"]["overall_risk"] == "high"
    assert result.output["report"]["high_risk_markets"] == "ID, VN"
    assert result.state.step("checks").progress.done == 6
    chosen = result.state.step("checks").assignments
    assert len(chosen) == 6 and "checks[2]: chose compliance-id" in chosen[2]
    assert "requirements market=ID" in chosen[2]
    two = await run_sample(
        client, "asean_compliance", markets=["TH", "SG"], data_practices="no data kept"
    )
    assert [f["market"] for f in two.output["findings"]] == ["TH", "SG"]
    assert two.output["report"]["overall_risk"] == "low"


async def test_asean_quote_looks_up_with_tools_and_sends_only_once_approved(client):
    plan = compile_spec(ROOT / "specs" / "asean_quote.yaml", offline=True)
    run_input = json.loads((ROOT / "specs" / "inputs" / "asean_quote.json").read_text())
    handle = await start_run(client, plan, run_input)
    state = await asked(handle, "the send was not put to the deal desk")
    [request] = state.open_requests()
    assert request.title == "quoter wants to call send_quote"
    assert request.details == {"customer": "Kopi Pay", "market": "TH", "total_local": 45196.8}
    await send_decision(
        handle, DecisionInput(request_id=request.id, outcome="approve", by="deal-desk")
    )
    result = await handle.result()
    assert result.output == {
        "customer": "Kopi Pay",
        "market": "TH",
        "currency": "THB",
        "total_local": 45196.8,  # 1,200 USD × 35.2 × 1.07 VAT
        "delivery": "2026-12-11",
        "sent": True,
    }
    step = result.state.step("quote")
    assert [(c.turn, c.tool, c.status) for c in step.tool_calls] == [
        (1, "vat_rate", "ok"),
        (1, "fx_rate", "ok"),
        (1, "holidays", "ok"),
        (2, "send_quote", "ok"),
    ]
    assert step.tool_calls[-1].approved_by == "deal-desk" and step.turns == 3


async def test_border_incident_lead_delegates_per_market_and_asks_the_duty_manager(client):
    plan = compile_spec(ROOT / "specs" / "border_incident.yaml", offline=True)
    run_input = json.loads((ROOT / "specs" / "inputs" / "border_incident.json").read_text())
    handle = await start_run(client, plan, run_input)
    state = await asked(handle, "the lead never asked the duty manager")
    [request] = state.open_requests()
    assert request.kind == "question" and request.approvers == ["logistics-duty"]
    assert request.title == (
        "incident-lead asks duty-manager: Pay MYR 1200 storage while the SIRIM certificate "
        "is obtained, or return the load?"
    )
    await send_decision(
        handle,
        DecisionInput(
            request_id=request.id, outcome="approve", by="logistics-duty", comment="pay it"
        ),
    )
    result = await handle.result()
    assert result.output["status"] == "released"
    turns = result.state.step("resolve").supervision
    assert [(t.member, t.status) for t in turns] == [
        ("customs-origin", "ok"),
        ("customs-destination", "ok"),
        ("duty-manager", "ok"),
        ("carrier", "ok"),
        ("done", "done"),
    ]
    assert turns[0].output["market"] == "TH" and turns[1].output["market"] == "MY"
    assert turns[3].output["decision"] == "approve"
    chosen = result.state.step("resolve").assignments  # capability members, per market
    assert "chose customs-th" in chosen[0] and "chose customs-my" in chosen[1]
