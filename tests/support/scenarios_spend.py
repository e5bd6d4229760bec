"""Golden-history scenario of a spend window (catalog ``policy: spend``): a call the window
refuses waits for a person, who raises the day's cap; the run and the window's ledger are
both recorded."""

from __future__ import annotations

from pathlib import Path

from podium.activities.spend_contracts import ledger_id
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.humans import BudgetRaise, DecisionInput
from podium.workflows.kinds.agent import AgentNode
from podium.workflows.steps.budget import estimate
from temporalio.client import Client

from tests.support.scenario_kit import PRICED, finish, open_request, scenario, write


@scenario
async def spend_window(client: Client, folder: Path, url: str) -> list[str]:
    """Room today for the first call's worst case only: the second waits, a person raises
    the cap, the run ends."""
    writer = {**PRICED, "max_output_tokens": 20}
    spec = {
        "name": "spend_window",
        "agents": "agents.yaml",
        "steps": [{"id": step, "agent": "writer"} for step in ("first", "second")],
    }
    catalog = {"agents": {"writer": writer}}
    node = compile_spec(write(folder, spec, catalog)).steps[0]
    assert isinstance(node, AgentNode)
    worst = node.agent.price.cost(estimate(node.agent, {}, None))
    spend = {"per": "input.market", "usd_per_day": round(worst * 1.05, 8), "escalate_to": ["cfo"]}
    plan = compile_spec(write(folder, spec, {"policy": {"spend": spend}, **catalog}))
    handle = await start_run(client, plan, {"market": "TH"})
    request = await open_request(handle)
    raised = DecisionInput(
        request_id=request, outcome="raise", by="cfo", budget=BudgetRaise(usd=1.0)
    )
    await handle.execute_update("decide", raised)
    await finish(handle)
    return [handle.id, ledger_id("agents", "TH")]
