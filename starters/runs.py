"""Reading runs: a run's state and output, its input, who cancelled it.

Every command that looks at a run reads it here (``status``, ``report``, ``stats``,
``run --wait``, ``approve``/``resolve`` explaining a refusal):

- a completed run's state and output come from its result, read from history (no worker
  needed);
- any other run's state comes from its ``status`` query; once Temporal has closed it
  (cancelled, terminated, timed out), the state is corrected to say so and its clocks
  stop, whatever the run itself last recorded.
"""

from __future__ import annotations

from typing import Any

from podium.activities.errors import RunNotFound
from podium.workflows.plan import RunInput
from podium.workflows.state import RunResult, RunState
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

FINAL = ("completed", "failed", "cancelled")
"""Run statuses after which nothing changes."""
_CLOSED = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued as new",
}


async def describe(handle: WorkflowHandle[Any, Any]) -> WorkflowExecution:
    """The run's execution info (status, close time).

    Raises:
        RunNotFound: no run has this id.
    """
    try:
        return await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise RunNotFound(f"no run {handle.id!r} (unknown workflow id)") from None
        raise


async def read_run(
    handle: WorkflowHandle[Any, Any], execution: WorkflowExecution | None = None
) -> tuple[RunState, Any]:
    """``(state, output)`` of a run: from its result once completed, else its ``status`` query.

    Args:
        handle: The run.
        execution: What visibility or describe already said about it (default: describe it).

    Raises:
        RunNotFound: no run has this id.
    """
    execution = execution or await describe(handle)
    status = execution.status
    if status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()  # read from history: needs no worker
        if not isinstance(result, RunResult):  # a handle made without result_type
            result = RunResult.model_validate(result)
        return result.state, result.output
    state = await handle.query("status", result_type=RunState)
    if status == WorkflowExecutionStatus.CANCELED:  # whatever the run's own state says
        state.status, state.error = "cancelled", await cancelled_by(handle)
    elif status in _CLOSED and state.status not in FINAL:  # stopped from outside Podium
        state.status, state.error = "failed", f"{_CLOSED[status]} (by Temporal)"
    if status in _CLOSED:
        state.finished_at = state.finished_at or execution.close_time
        for step in state.steps:  # nothing runs any more: clocks stop
            if step.status in ("running", "pending"):
                step.status = "cancelled"
                step.finished_at = step.finished_at or execution.close_time
        state.current = []
    return state, None


async def state_or_none(client: Client, execution: WorkflowExecution) -> RunState | None:
    """The state of a run found through visibility, or None when it cannot be read (e.g.
    no worker answers its query): one unreadable run must not stop a survey of many."""
    handle = client.get_workflow_handle(
        execution.id, run_id=execution.run_id, result_type=RunResult
    )
    try:
        state, _ = await read_run(handle, execution)
    except (TemporalError, RPCError):
        return None
    return state


async def run_input_of(client: Client, handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The run's input, decoded from the first event of its history."""
    async for event in handle.fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        [decoded] = await client.data_converter.decode(payloads, [RunInput])
        assert isinstance(decoded, RunInput)
        return decoded.input
    return {}


async def cancelled_by(handle: WorkflowHandle[Any, Any]) -> str | None:
    """Who cancelled the run and why (the request's cause, else who sent it), or None
    when its history does not say (or cannot be read)."""
    try:
        async for event in handle.fetch_history_events():
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
                continue
            request = event.workflow_execution_cancel_requested_event_attributes
            if request.cause:
                return str(request.cause)
            parent = request.external_workflow_execution.workflow_id
            if parent:
                return f"by its parent run {parent}"
            return f"by {request.identity}" if request.identity else None
    except (TemporalError, RPCError):
        pass
    return None
