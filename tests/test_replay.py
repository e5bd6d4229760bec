"""The replay guard: every committed golden history (tests/histories/, one per sample spec
and per step kind and mechanism) replays on today's workflow code. A change that would
break runs already in flight fails here; guard it with ``workflow.patched`` (see
docs/internals.md), then re-record with ``make histories``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from podium.activities.payloads.converter import data_converter
from podium.workers.config import WORKFLOWS
from podium.workers.worker import workflow_runner
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.support.histories import HISTORIES, SCENARIOS
from tests.support.replay_values import SendsRecorded, differences

FILES = sorted(HISTORIES.glob("*.json"))


def histories(path: Path) -> list[WorkflowHistory]:
    data = json.loads(path.read_text())
    return [WorkflowHistory.from_json(h["workflow_id"], h["history"]) for h in data["histories"]]


def test_every_scenario_has_a_committed_history():
    assert {p.stem for p in FILES} == set(SCENARIOS), "run `make histories` to record them"


@pytest.mark.parametrize("sandboxed", [False, True], ids=["direct", "sandboxed"])
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_golden_history_replays(path, sandboxed):
    """As workers run them (directly), and in temporalio's sandbox, where a user's
    ``PodiumPlugin(podium_workflows=True)`` worker or ``podium worker --sandbox`` runs
    them (non-deterministic calls: tests/workflows/test_determinism.py)."""
    converter = data_converter()
    for history in histories(path):
        sends = SendsRecorded(converter)
        replayer = Replayer(
            workflows=WORKFLOWS,
            data_converter=converter,
            workflow_runner=workflow_runner(sandboxed),
            interceptors=[sends],
        )
        await replayer.replay_workflow(history)  # raises on any non-determinism
        wrong = differences(sends.sent, history)  # … and the same inputs, in order
        assert not wrong, f"{history.workflow_id}:\n" + "\n".join(wrong)


async def test_the_guard_catches_a_changed_workflow():
    """Replaying against changed workflow code fails: the guard can fail."""
    from podium.workflows.steps import agent_call

    history = histories(HISTORIES / "retries_repair_fallback.json")[0]
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(),
        workflow_runner=workflow_runner(),
    )
    original = agent_call.is_retryable
    agent_call.is_retryable = lambda error_type: False  # type: ignore[assignment] - no retries
    try:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    finally:
        agent_call.is_retryable = original
    assert result.replay_failure is not None


async def test_the_guard_catches_a_changed_input_with_the_same_commands():
    """Branches handed each other's inputs issue the same commands: only the values tell."""
    from podium.workflows.steps import support

    history = histories(HISTORIES / "sample_deal_review.json")[0]
    converter = data_converter()
    sends = SendsRecorded(converter)
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=converter,
        workflow_runner=workflow_runner(),
        interceptors=[sends],
    )
    original = support.evaluate_in

    def swapped(node_id, what, expr, scope):  # every input of every step: another value
        value = original(node_id, what, expr, scope)
        return f"{value}!" if isinstance(value, str) else value

    support.evaluate_in = swapped  # type: ignore[assignment]
    try:
        await replayer.replay_workflow(history)  # the commands are the same: no failure
    finally:
        support.evaluate_in = original
    assert differences(sends.sent, history)


def test_every_built_in_kind_has_a_golden_history():
    """A kind whose runs no history covers could change its commands unnoticed."""
    from podium.workflows.kinds.all import BUILT_IN
    from podium.workflows.plan import RunInput, walk

    covered: set[str] = set()
    for path in FILES:
        for history in histories(path):
            started = history.events[0].workflow_execution_started_event_attributes
            if started.workflow_type.name != "PodiumRun":
                continue
            run = data_converter().payload_converter.from_payloads(
                started.input.payloads, [RunInput]
            )[0]
            covered |= {node.kind for node in walk(run.plan.steps)}
    missing = {k.name for k in BUILT_IN} - covered
    assert not missing, f"no golden history runs {sorted(missing)}: add a scenario"
