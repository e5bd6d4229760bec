"""People answering runs: sending a decision (``podium approve`` / ``podium resolve``).

Decisions go as the ``decide`` Update, whose validator refuses a wrong approver, an
unknown or closed request or an invalid supplied output before anything is written.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Any

from podium.starters.connect import connect
from podium.starters.formatting import when
from podium.starters.runs import RunNotFound, read_run
from podium.workflows.humans import DecisionInput, DecisionRecord, check_decision
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode


def default_user() -> str:
    """Who is deciding: ``PODIUM_USER``, else the login name."""
    return os.environ.get("PODIUM_USER") or getpass.getuser()


TRANSIENT = "unexpected workflow task failure"
"""The server refuses an update whose workflow task raced with other new events (e.g. a
notification finishing as the run completes); the update was not applied, so resending
it is safe."""


async def send_decision(
    handle: WorkflowHandle[Any, Any], decision: DecisionInput, attempts: int = 5
) -> DecisionRecord:
    """Send the ``decide`` Update, resending it if the server reports the transient race."""
    for attempt in range(1, attempts + 1):
        try:
            return await handle.execute_update("decide", decision, result_type=DecisionRecord)
        except RPCError as exc:
            if TRANSIENT not in exc.message or attempt == attempts:
                raise
            await asyncio.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


async def decide(
    client: Client | None, run_id: str, decision: DecisionInput, address: str | None = None
) -> int:
    """Send ``decision`` to run ``run_id``; print the recorded decision or the refusal."""
    client = client or await connect(address)
    handle = client.get_workflow_handle(run_id)
    try:
        record = await send_decision(handle, decision)
    except WorkflowUpdateFailedError as exc:
        reason = getattr(exc.cause, "message", None) or str(exc.cause or exc)
        print(f"refused: {reason}", file=sys.stderr)
        return 1
    except RPCError as exc:
        print(f"refused: {await _why_not(handle, decision, exc)}", file=sys.stderr)
        return 1
    print(
        f"recorded: {record.request_id} → {record.outcome} by {record.by} at {when(record.at)}"
        + (f" — {record.comment}" if record.comment else "")
    )
    return 0


async def _why_not(handle: WorkflowHandle[Any, Any], decision: DecisionInput, exc: RPCError) -> str:
    """Why the server refused: for a run that has ended, what its own check says about
    the request (e.g. already decided, and by whom), then that the run has ended."""
    if exc.status != RPCStatusCode.NOT_FOUND:
        return f"run {handle.id!r}: {exc.message}"
    try:
        state, _ = await read_run(handle)
    except (RunNotFound, TemporalError, RPCError):
        return f"run {handle.id!r}: {exc.message}"
    ended = f"run {handle.id} has ended ({state.status})"
    reason = check_decision(state.requests, decision)
    return f"{reason}; {ended}" if reason else ended
