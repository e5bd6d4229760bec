"""The public Python surface: one import path, pinned, and a user's own sandboxed workflow
running Podium's agent steps on a worker set up by ``PodiumPlugin`` alone."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

import podium
from tests.support.user_flow import ReviewInput, UserDealReview

EXPORTED = [
    "AgentCallError",
    "AgentConfig",
    "AgentResult",
    "AgentStepLedger",
    "AgentStepResult",
    "BranchOutcome",
    "CompileError",
    "FailureDetails",
    "JoinFailed",
    "NoRoute",
    "NodeBase",
    "PermanentError",
    "Plan",
    "PodiumError",
    "PodiumPlugin",
    "RetrySettings",
    "RetryableError",
    "RunEvent",
    "RunFailure",
    "RunInput",
    "RunResult",
    "RunState",
    "RunStopped",
    "SetupError",
    "StepError",
    "StepKind",
    "StepState",
    "TextAssembly",
    "Usage",
    "call_agent",
    "call_agent_step",
    "choose_case",
    "compile_spec",
    "fan_out",
    "from_failure",
    "load_catalog",
    "map_bounded",
    "refine_loop",
    "register_kind",
    "start_run",
    "subscribe",
]


def test_the_exported_names_are_pinned_and_all_importable():
    assert sorted(podium.__all__) == EXPORTED, "a change to the public API: update this list"
    for name in podium.__all__:
        assert getattr(podium, name) is not None
    assert sorted(dir(podium)) == EXPORTED


CATALOG = """
agents:
  legal: {model: scripted, price: {input_per_mtok: 10}, script: [{output: {risk: low}}]}
  finance: {model: scripted, price: {input_per_mtok: 10}, script: [{output: {risk: high}}]}
  sloppy:
    model: scripted
    repair_attempts: 1
    output: {type: object, required: [verdict]}
    script: [{output: {nope: 1}}]
  tidy: {model: scripted, output: {type: object, required: [verdict]},
         script: [{output: {verdict: review}}]}
"""


@pytest.mark.usefixtures("worker")  # Podium's own worker serves the provider queues
async def test_a_sandboxed_user_workflow_runs_agent_steps_with_the_plugin(address, tmp_path):
    (tmp_path / "agents.yaml").write_text(CATALOG)
    agents = podium.load_catalog(tmp_path / "agents.yaml")
    # a plain client: the plugin brings the converter, and its workers get the rest
    client = await Client.connect(address, plugins=[podium.PodiumPlugin()])
    async with Worker(
        client,
        task_queue="user-queue",
        workflows=[UserDealReview],  # the default sandbox: nothing turned off
    ):
        result = await client.execute_workflow(
            UserDealReview.run,
            ReviewInput(agents=agents, terms="net 30"),
            id=f"user-{uuid.uuid4().hex[:6]}",
            task_queue="user-queue",
        )
    assert result["summary"] == {"verdict": "review"} and result["answered_by"] == "tidy"
    assert result["tried"] == [
        "sloppy OutputSchemaError → repair round 1 with the validation errors",
        "sloppy OutputSchemaError → fall back to tidy",
        "tidy ok",
    ]
    assert result["spent_usd"] > 0 and result["budget_calls"] == 5
