"""The same patterns from a hand-written Python workflow (no spec)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from podium.activities.contract_base import Contract
    from podium.activities.contracts import AgentConfig

from podium.compiler.agents import load_catalog
from podium.workflows.patterns import choose_case, fan_out, map_bounded, refine_loop
from podium.workflows.steps.agent_call import call_agent

CATALOG = """
agents:
  legal: {model: scripted, script: [{output: {severity: high}}]}
  tech: {model: scripted, latency: 5s, heartbeat: 1s, script: [{output: {feasible: true}}]}
  checker: {model: scripted, script: [{output: "{{ market }} ok"}]}
  senior: {model: scripted, script: [{output: senior}]}
  writer: {model: scripted, script: [{output: "v{{ round }}"}]}
  editor:
    model: scripted
    script: [{when: "draft == 'v2'", output: {ok: true}}, {output: {ok: false}}]
"""


class TeamInput(Contract):
    agents: dict[str, AgentConfig]
    markets: list[str]


@workflow.defn(name="HandWrittenTeam", sandboxed=False)
class HandWrittenTeam:
    @workflow.run
    async def run(self, team: TeamInput) -> dict:
        a = team.agents

        async def ask(name: str, inputs: dict, step: str):
            return (await call_agent(a[name], inputs, step_id=step)).output

        first = await fan_out(
            {"legal": lambda: ask("legal", {}, "legal"), "tech": lambda: ask("tech", {}, "tech")},
            join="any",
        )
        checks = await map_bounded(
            team.markets, lambda i, m: ask("checker", {"market": m}, f"check{i}"), 2
        )
        case, agent = choose_case(first["legal"].value["severity"], {"high": "senior"}, "checker")
        routed = await ask(agent, {"market": "-"}, "route")
        refined = await refine_loop(
            lambda n, draft, fb: ask("writer", {"round": n}, f"write{n}"),
            lambda n, draft: ask("editor", {"draft": draft}, f"edit{n}"),
            lambda n, draft, review: review["ok"],
            max_rounds=3,
        )
        return {
            "any": {k: o.status for k, o in first.items()},
            "checks": checks,
            "route": [case, routed],
            "refined": [refined.draft, refined.converged, len(refined.rounds)],
        }


@pytest.mark.usefixtures("worker")  # serves the agents' provider queues
async def test_patterns_work_in_a_hand_written_workflow(client, tmp_path):
    catalog = tmp_path / "agents.yaml"
    catalog.write_text(CATALOG)
    agents = load_catalog(catalog)
    async with Worker(
        client,
        task_queue="hand-written",
        workflows=[HandWrittenTeam],
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
    ):
        result = await client.execute_workflow(
            HandWrittenTeam.run,
            TeamInput(agents=agents, markets=["SG", "MY", "TH"]),
            id=f"hand-{uuid.uuid4().hex[:6]}",
            task_queue="hand-written",
        )
    assert result == {
        "any": {"legal": "ok", "tech": "cancelled"},
        "checks": ["SG ok", "MY ok", "TH ok"],
        "route": ["high", "senior"],
        "refined": ["v2", True, 2],
    }
