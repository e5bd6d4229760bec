"""Reading runs: a run's state and output, its input, who cancelled it.

Every command that looks at a run reads it here (``status``, ``report``, ``stats``,
``run --wait``, ``approve``/``resolve`` explaining a refusal):

- a completed run's state and output come from its result, read from history (no worker
  needed);
- any other run's state comes from its ``status`` query; once Temporal has closed it
  (cancelled, terminated, timed out), the state is corrected to say so and its clocks
  stop, whatever the run itself last recorded;
- a run whose workflow task the workers keep failing has no state to read: ``RunStuck``
  says why (``starters.stuck_runs``), and data encrypted with a key this client lacks is
  ``UnknownEncryptionKey`` naming the run and the key.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from podium.activities.errors import RunNotFound, RunStuck
from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.starters.stuck_runs import stuck_reason
from podium.workflows.plan import RunInput
from podium.workflows.state import RunResult, RunState
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

QUERY_TIMEOUT_S = 30.0
"""How long a ``status`` query may wait for a running run's worker (the server's own)."""
STUCK_CHECK_S = 5.0
"""While a query waits, how often to check whether the run's workflow task keeps failing."""
_TIMED_OUT = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)

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
        RunStuck: the workers keep failing its workflow task (the message says why).
        UnknownEncryptionKey: its data is encrypted with a key this client lacks.
    """
    execution = execution or await describe(handle)
    reason = await stuck_reason(handle, execution)
    if reason is not None:
        raise RunStuck(reason)
    try:
        return await _read_state(handle, execution)
    except UnknownEncryptionKey as exc:
        raise exc.reading(f"run {handle.id}") from None


async def _read_state(
    handle: WorkflowHandle[Any, Any], execution: WorkflowExecution
) -> tuple[RunState, Any]:
    status = execution.status
    if status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()  # read from history: needs no worker
        if not isinstance(result, RunResult):  # a handle made without result_type
            result = RunResult.model_validate(result)
        return result.state, result.output
    state = await _status_query(handle, execution)
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


async def _status_query(handle: WorkflowHandle[Any, Any], execution: WorkflowExecution) -> RunState:
    """The run's ``status`` query. The server holds a query until the run's workflow task
    completes, so while it waits, check every few seconds whether that task keeps failing."""
    if execution.status != WorkflowExecutionStatus.RUNNING:
        return await handle.query("status", result_type=RunState)
    deadline = time.monotonic() + QUERY_TIMEOUT_S
    while True:
        try:
            return await handle.query(
                "status", result_type=RunState, rpc_timeout=timedelta(seconds=STUCK_CHECK_S)
            )
        except RPCError as exc:
            if exc.status not in _TIMED_OUT or time.monotonic() > deadline:
                raise
        reason = await stuck_reason(handle, await describe(handle))
        if reason is not None:
            raise RunStuck(reason)


async def state_or_none(client: Client, execution: WorkflowExecution) -> RunState | None:
    """The state of a run found through visibility, or None when it cannot be read (e.g.
    no worker answers its query): one unreadable run must not stop a survey of many."""
    handle = client.get_workflow_handle(
        execution.id, run_id=execution.run_id, result_type=RunResult
    )
    try:
        state, _ = await read_run(handle, execution)
    except (TemporalError, RPCError, RunStuck):
        return None
    return state


async def run_input_of(client: Client, handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The run's input, decoded from the first event of its history."""
    started = await started_with(client, handle)
    return started.input if started is not None else {}


async def started_with(client: Client, handle: WorkflowHandle[Any, Any]) -> RunInput | None:
    """What the run (its latest in a continue-as-new chain) was started with — its plan
    and input — decoded from the first event of its history (None: no history)."""
    async for event in handle.fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        try:
            [decoded] = await client.data_converter.decode(payloads, [RunInput])
        except UnknownEncryptionKey as exc:
            raise exc.reading(f"run {handle.id}") from None
        assert isinstance(decoded, RunInput)
        return decoded
    return None


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
