"""A run's durable record, as the eval checks read it.

Three parts, all kept by Temporal for as long as the namespace retains the run:

- the **result**: the run's output and final state (``RunResult``; a run that did not
  complete is read through its ``status`` query, ``starters.runs.read_run``) — status,
  output, each tracked step's output, the requests put to people and their decisions,
  supervisor decisions, tokens and cost;
- the **history**: every agent and tool call in the order it was scheduled, read from
  the ``podium.run_agent`` / ``podium.run_tool`` activities (their inputs name the agent
  or tool and the step), the local-activity markers of ``fast`` calls (their timeline
  label names them), the runs it started as children (map batches, sub-workflows: their
  calls count where the child started) and the earlier runs of a continue-as-new chain.
  A call retried (same idempotency key) counts once; a repair round is a call of its own.

The run's event stream is not read: its events do not name the agent of each call, and
map batches publish none.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from podium.activities.contracts import AgentCall
from podium.activities.tool_contracts import ToolCallInput
from podium.starters.runs import describe, read_run
from podium.workflows.state import RunState
from pydantic import BaseModel, Field
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

AGENT_ACTIVITY = "podium.run_agent"
TOOL_ACTIVITY = "podium.run_tool"
LOCAL_MARKER = "core_local_activity"
MAX_CHILD_DEPTH = 8
"""Sub-workflows of sub-workflows are followed this deep."""


class Call(BaseModel):
    """One agent or tool call of the run (or of a run it started)."""

    kind: Literal["agent", "tool"]
    name: str
    step: str = ""
    run: str = ""
    """The workflow id the call belongs to (a child's for map batches, sub-workflows)."""


class RunRecord(BaseModel):
    """What a finished run left behind, for the checks."""

    run_id: str
    status: str
    error: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    output: Any = None
    state: RunState | None = None
    calls: list[Call] = Field(default_factory=list)
    duration_ms: float | None = None

    def names(self, kind: Literal["agent", "tool"]) -> list[str]:
        """The agents (or tools) called, in order, one entry per call."""
        return [call.name for call in self.calls if call.kind == kind]

    def scope(self) -> dict[str, Any]:
        """What the suite's expressions read: ``{output, input, status, steps}``."""
        steps = {}
        if self.state is not None:
            steps = {s.id: {"output": s.output, "status": s.status} for s in self.state.steps}
        return {"output": self.output, "input": self.input, "status": self.status, "steps": steps}


async def read_record(client: Client, run_id: str, run_input: dict[str, Any]) -> RunRecord:
    """The record of the finished run ``run_id`` (started with ``run_input``)."""
    handle = client.get_workflow_handle(run_id)
    execution = await describe(handle)
    state, output = await read_run(handle, execution)
    duration = None
    if state.started_at is not None and state.finished_at is not None:
        duration = (state.finished_at - state.started_at).total_seconds() * 1000
    return RunRecord(
        run_id=run_id,
        status=state.status,
        error=state.error,
        input=run_input,
        output=output,
        state=state,
        calls=await history_calls(client, run_id),
        duration_ms=duration,
    )


async def history_calls(
    client: Client, workflow_id: str, run_id: str | None = None, depth: int = 0
) -> list[Call]:
    """The agent and tool calls in the history of a run (its latest run when ``run_id``
    is None), the earlier runs of its chain and its children included, in order."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    calls: list[Call] = []
    seen: set[str] = set()
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_started_event_attributes"):
            earlier = event.workflow_execution_started_event_attributes.continued_execution_run_id
            if earlier:
                calls += await history_calls(client, workflow_id, earlier, depth)
        elif event.HasField("activity_task_scheduled_event_attributes"):
            call = await _scheduled(client, event, workflow_id)
            if call is not None and call[0] not in seen:
                seen.add(call[0])
                calls.append(call[1])
        elif event.HasField("marker_recorded_event_attributes"):
            local = await _local(client, event, workflow_id)
            if local is not None:
                calls.append(local)
        elif event.HasField("child_workflow_execution_started_event_attributes"):
            child = event.child_workflow_execution_started_event_attributes.workflow_execution
            if depth < MAX_CHILD_DEPTH:
                calls += await history_calls(client, child.workflow_id, child.run_id, depth + 1)
    return calls


async def _scheduled(
    client: Client, event: HistoryEvent, workflow_id: str
) -> tuple[str, Call] | None:
    """``(idempotency key, call)`` of a scheduled agent or tool activity, else None."""
    scheduled = event.activity_task_scheduled_event_attributes
    kind = scheduled.activity_type.name
    if kind == AGENT_ACTIVITY:
        [agent_call] = await client.data_converter.decode(scheduled.input.payloads, [AgentCall])
        assert isinstance(agent_call, AgentCall)
        call = Call(kind="agent", name=agent_call.agent.name, step=agent_call.step_id)
        return agent_call.idempotency_key, call.model_copy(update={"run": workflow_id})
    if kind == TOOL_ACTIVITY:
        [tool_call] = await client.data_converter.decode(scheduled.input.payloads, [ToolCallInput])
        assert isinstance(tool_call, ToolCallInput)
        call = Call(kind="tool", name=tool_call.tool.name, step=tool_call.step_id, run=workflow_id)
        return tool_call.idempotency_key, call
    return None


async def _local(client: Client, event: HistoryEvent, workflow_id: str) -> Call | None:
    """The call a local-activity marker records, when it answered (a failed local try
    is tried again as a regular activity, which is counted instead)."""
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_MARKER or "result" not in marker.details:
        return None
    try:
        data = json.loads(marker.details["data"].payloads[0].data)
    except (KeyError, IndexError, ValueError):
        return None
    kind = data.get("activity_type") if isinstance(data, dict) else None
    if kind not in (AGENT_ACTIVITY, TOOL_ACTIVITY) or not event.user_metadata.summary.data:
        return None
    [label] = await client.data_converter.decode([event.user_metadata.summary])
    # agent calls: "[caller → ]agent · where[ · …]"; tool calls: "agent · tool[ · …]"
    parts = str(label).split(" → ")[-1].split(" · ")
    if kind == AGENT_ACTIVITY:
        return Call(kind="agent", name=parts[0], run=workflow_id)
    if len(parts) < 2:
        return None
    return Call(kind="tool", name=parts[1], run=workflow_id)
