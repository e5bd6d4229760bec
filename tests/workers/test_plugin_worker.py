"""A user's own worker given ``PodiumPlugin`` runs what ``podium worker`` runs: every sample
spec and fast agents (``podium_workflows=True``), and a user's workflow whose ``fan_out``
cannot succeed ends FAILED instead of retrying its workflow task for ever."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workers.worker import ConfigurationError, WorkerOptions, build_workers
from podium.workflows.humans import DecisionInput
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Worker

import podium
from tests.conftest import ISOLATED_NAMESPACE, ROOT
from tests.support.polling import eventually
from tests.support.scenario_kit import open_request
from tests.support.user_flow import JoinInput, UserJoin

PLUGIN_WORKER = "user-plugin-worker"
SAMPLES = sorted(path.stem for path in (ROOT / "specs").glob("*.yaml"))
ASKS = {"deal_review": "deal-desk", "asean_quote": "deal-desk", "border_incident": "logistics-duty"}
"""Samples that ask someone (as in tests/test_samples.py), and who answers."""


@pytest.fixture(scope="module")
def payloads(payload_store: Path) -> PayloadSettings:
    return PayloadSettings(store=f"file:{payload_store}")  # the session's, as `podium dev`


@pytest.fixture(scope="module")
async def plugin_client(address: str, payloads: PayloadSettings) -> AsyncIterator[Client]:
    """A client of the namespace no other worker polls; there, the user's own worker with
    ``PodiumPlugin(podium_workflows=True)`` on the orchestration queue, and provider queues
    served as ``podium worker --no-orchestration`` serves them."""
    client = await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=data_converter(payloads)
    )
    users = Worker(
        client,
        task_queue=ORCHESTRATION_QUEUE,
        identity=PLUGIN_WORKER,
        plugins=[podium.PodiumPlugin(podium_workflows=True, payloads=payloads)],
    )
    workers = [users, *build_workers(client, WorkerOptions(orchestration=False))]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    yield client
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    for task in tasks:
        task.cancel()


async def settled(handle: WorkflowHandle[Any, Any]) -> list[HistoryEvent]:
    """The run's history once it closed or a workflow task of it failed (a run whose task
    keeps failing never closes: it sits Running)."""

    async def closed_or_stuck() -> list[HistoryEvent] | None:
        events = [e async for e in handle.fetch_history_events()]
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING or any(
            e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events
        ):
            return events
        return None

    return await eventually(closed_or_stuck, f"{handle.id} to close or fail a task", 60)


def task_failures(events: list[HistoryEvent]) -> list[str]:
    return [
        e.workflow_task_failed_event_attributes.failure.message
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


def served_by(events: list[HistoryEvent]) -> set[str]:
    return {
        e.workflow_task_completed_event_attributes.identity
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    }


@pytest.mark.parametrize("name", SAMPLES)
async def test_a_plugin_worker_runs_every_sample_spec(plugin_client, name):
    plan = compile_spec(ROOT / "specs" / f"{name}.yaml", offline=True)
    run_input = json.loads((ROOT / "specs" / "inputs" / f"{name}.json").read_text())
    handle = await start_run(plugin_client, plan, run_input)
    if name in ASKS:
        request = await open_request(handle)
        await send_decision(
            handle, DecisionInput(request_id=request, outcome="approve", by=ASKS[name])
        )
    events = await settled(handle)
    assert task_failures(events) == []
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert served_by(events) == {PLUGIN_WORKER}


async def test_a_plugin_worker_runs_fast_agents_locally(plugin_client, write_spec):
    quick = {"model": "scripted", "fast": True, "script": [{"output": {"ok": True}}]}
    spec = {
        "name": "quick",
        "agents": {"agents": {"quick": quick}},
        "steps": [{"id": "ask", "agent": "quick"}],
    }
    handle = await start_run(plugin_client, compile_spec(write_spec(spec)), {})
    events = await settled(handle)
    assert task_failures(events) == []  # was: "podium.run_agent is not registered"
    assert (await handle.result()).state.step("ask").output == {"ok": True}
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert "podium.run_agent" not in scheduled  # answered by the local attempt
    assert any(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED for e in events)


JOIN_CATALOG = """
agents:
  fine: {model: scripted, fast: true, script: [{output: {ok: true}}]}
  refuses: {model: scripted, script: [{fail: "not today"}]}
"""


async def test_a_failed_join_in_a_user_workflow_fails_the_run(plugin_client, payloads, tmp_path):
    (tmp_path / "agents.yaml").write_text(JOIN_CATALOG)
    agents = podium.load_catalog(tmp_path / "agents.yaml")
    async with Worker(
        plugin_client,
        task_queue="user-join",
        workflows=[UserJoin],  # the default sandbox
        plugins=[podium.PodiumPlugin(payloads=payloads)],
    ):
        handle = await plugin_client.start_workflow(
            UserJoin.run,
            JoinInput(agents=agents),
            id=f"join-{uuid.uuid4().hex[:6]}",
            task_queue="user-join",
        )
        events = await settled(handle)
    assert task_failures(events) == []  # was: JoinFailed retried as a task failure for ever
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    error = podium.from_failure(failed.value.cause)
    assert isinstance(error, podium.JoinFailed)
    assert str(error).startswith("branch 'refuses' failed: ")


async def test_a_plugin_on_a_worker_refuses_a_client_without_podiums_converter(address):
    plain = await Client.connect(address, namespace=ISOLATED_NAMESPACE)
    with pytest.raises(ConfigurationError, match=r"give the plugin to the client instead"):
        Worker(plain, task_queue="user-join", workflows=[UserJoin], plugins=[podium.PodiumPlugin()])
