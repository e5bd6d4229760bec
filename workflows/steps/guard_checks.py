"""Guards, seen from the workflow: what they did is noted in the run's flags (``podium
status``, ``podium report``), a tripped guard that says ``on_trip: escalate`` goes to a
person, and a tool result is put to the guard's classifier agent — its own model call, an
activity like any other, charged to the step.

The screening itself happens in the activities (``activities/guards/hooks.py``): the
workflow never holds the text a guard withheld.
"""

from __future__ import annotations

import json
from typing import Any

from podium.activities.contracts import AgentConfig, FailureDetails
from podium.activities.errors import GuardTripped
from podium.activities.guards.settings import GuardTrip
from podium.activities.metric_names import GUARD_TRIPS
from podium.activities.tool_contracts import ToolSpec
from podium.workflows.run_context import RunContext
from podium.workflows.state import StepState
from podium.workflows.steps.agent_call import as_activity_error, call_agent
from temporalio import workflow

GUARD_TRIPPED = GuardTripped.__name__
CLASSIFIED_CHARS = 20_000
"""Characters of a tool result the classifier is shown (the start of a long page)."""


def note_guards(ctx: RunContext, step_id: str, notes: list[str]) -> None:
    """Flag what a step's guards did (``step 'intake': guard of agent 'intake' masked email
    ×1 in its input``), once each."""
    for note in notes:
        flag = f"step {step_id!r}: {note}"
        if flag not in ctx.state.flags:
            ctx.state.flags.append(flag)


def escalation(exc: BaseException, error_type: str) -> list[str] | None:
    """Who decides a tripped guard that says ``on_trip: escalate`` (empty: the step's
    ``escalate_to``); None when the failure is no such trip."""
    if error_type != GUARD_TRIPPED:
        return None
    trip = FailureDetails.of(exc).guard
    if trip is None or trip.on_trip != "escalate":
        return None
    return trip.escalate_to


async def classify(
    ctx: RunContext,
    owner: StepState | None,
    agent: AgentConfig,
    tool: ToolSpec,
    content: Any,
    step_id: str,
) -> None:
    """Ask the tool guard's classifier agent whether ``content`` is a prompt injection;
    raise the ``GuardTripped`` failure (as an activity's) if it says so."""
    check = tool.guard.injection if tool.guard is not None else None
    if check is None or check.classifier is None:
        return
    classifier = agent.guard_agents.get(check.classifier)
    if classifier is None:  # (the compiler resolves every classifier it names)
        return
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    result = await call_agent(
        classifier,
        {"tool": tool.name, "result": text[:CLASSIFIED_CHARS]},
        step_id=step_id,
        label=f"{classifier.name} · screens {tool.name}",
    )
    ctx.charge_result(owner, result, classifier.name)
    verdict = result.output
    if not (verdict is True or (isinstance(verdict, dict) and verdict.get("injection") is True)):
        return
    assert tool.guard is not None
    trip = GuardTrip(
        owner=f"tool {tool.name!r}",
        check="injection",
        found=[f"injection (classifier {classifier.name!r}) in the result"],
        on_trip=check.on_trip or tool.guard.on_trip,
        escalate_to=tool.guard.escalate_to,
    )
    then = "a person decides" if trip.on_trip == "escalate" else "the step fails"
    message = (
        f"guard of tool {tool.name!r} found prompt injection in its result: its classifier "
        f"{classifier.name!r} said so; the model was not shown it, {then}"
    )
    labels = {"agent": "", "tool": tool.name, "kind": "injection", "action": "block"}
    GUARD_TRIPS.counter(workflow.metric_meter()).add(1, {**labels, "check": "injection"})
    failure = GuardTripped(message, guard=trip.model_dump()).to_application_error()
    raise as_activity_error(failure, "podium.run_agent") from failure
