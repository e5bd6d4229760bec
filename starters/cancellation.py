"""Who cancelled a run and why, from its history's cancel request."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError


def cancel_reason(reason: str | None, user: str) -> str:
    """What ``podium cancel`` records as the request's cause."""
    who = f"podium cancel by {user}"
    return f"{reason} ({who})" if reason else who


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
