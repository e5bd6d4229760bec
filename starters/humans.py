"""People answering runs: sending a decision (``podium approve`` / ``podium resolve``).

Decisions go as the ``decide`` Update, whose validator refuses a wrong approver, an
unknown or closed request or an invalid supplied output before anything is written.
A client without the run's encryption key can still decide (its Update goes
unencrypted); the run's answer is encrypted, so it reports what the server says
happened — recorded or refused — and which key it would need to show more.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import uuid
from typing import Any

from podium.activities.errors import RunStuck
from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.starters.connect import connect
from podium.starters.formatting import when
from podium.starters.runs import RunNotFound, describe, read_run
from podium.starters.stuck_runs import stuck_reason
from podium.workflows.humans import DecisionInput, DecisionRecord, check_decision
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import UpdateRef, WaitPolicy
from temporalio.api.workflowservice.v1 import PollWorkflowExecutionUpdateRequest
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
    handle: WorkflowHandle[Any, Any],
    decision: DecisionInput,
    attempts: int = 5,
    *,
    update_id: str | None = None,
) -> DecisionRecord:
    """Send the ``decide`` Update, resending it if the server reports the transient race
    (``update_id``: the Update's id, default a new one; a resent Update keeps it)."""
    update_id = update_id or f"decide-{uuid.uuid4().hex}"
    for attempt in range(1, attempts + 1):
        try:
            return await handle.execute_update(
                "decide", decision, id=update_id, result_type=DecisionRecord
            )
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
    stuck = await _stuck(handle)
    if stuck:  # the Update would wait for a workflow task that keeps failing
        print(f"not sent: {stuck}", file=sys.stderr)
        return 1
    update_id = f"decide-{uuid.uuid4().hex}"
    try:
        record = await send_decision(handle, decision, update_id=update_id)
    except UnknownEncryptionKey as exc:  # the answer, not the decision, is unreadable here
        return await _unreadable_answer(client, handle, decision, update_id, exc)
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


async def _unreadable_answer(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    decision: DecisionInput,
    update_id: str,
    exc: UnknownEncryptionKey,
) -> int:
    """Say whether the run recorded or refused ``decision`` when its answer is encrypted
    with a key this client lacks (the server knows which, without decrypting)."""
    request = PollWorkflowExecutionUpdateRequest(
        namespace=client.namespace,
        update_ref=UpdateRef(
            workflow_execution=WorkflowExecution(workflow_id=handle.id), update_id=update_id
        ),
        identity=client.identity,
        wait_policy=WaitPolicy(
            lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
        ),
    )
    try:
        outcome = (await client.workflow_service.poll_workflow_execution_update(request)).outcome
        recorded = outcome.HasField("success")
    except RPCError as rpc:  # a refused Update is kept nowhere
        if rpc.status != RPCStatusCode.NOT_FOUND:
            raise
        recorded = False
    what = f"{decision.request_id} → {decision.outcome} by {decision.by}"
    unreadable = f"it is {exc.problem('this client')}; {exc.fix('this client')}"
    if recorded:
        print(f"recorded: {what} (the run's answer cannot be shown: {unreadable})")
        return 0
    print(
        f"refused: {what} was not recorded (the reason cannot be shown: {unreadable})",
        file=sys.stderr,
    )
    return 1


async def _stuck(handle: WorkflowHandle[Any, Any]) -> str | None:
    """Why the run's workers keep failing its workflow task, if they do."""
    try:
        return await stuck_reason(handle, await describe(handle))
    except (RunNotFound, TemporalError, RPCError):
        return None


async def _why_not(handle: WorkflowHandle[Any, Any], decision: DecisionInput, exc: RPCError) -> str:
    """Why the server refused: for a run that has ended, what its own check says about
    the request (e.g. already decided, and by whom), then that the run has ended; for a
    run whose workers fail its task (``RunStuck``), why."""
    if exc.status != RPCStatusCode.NOT_FOUND:
        return await _stuck(handle) or f"run {handle.id!r}: {exc.message}"
    try:
        state, _ = await read_run(handle)
    except (RunNotFound, RunStuck, UnknownEncryptionKey, TemporalError, RPCError):
        return f"run {handle.id!r}: {exc.message}"
    ended = f"run {handle.id} has ended ({state.status})"
    reason = check_decision(state.requests, decision)
    return f"{reason}; {ended}" if reason else ended
