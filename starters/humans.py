"""``podium approve`` / ``podium resolve`` / ``podium inbox``: people answering runs.

Decisions go as the ``decide`` Update, whose validator refuses a wrong approver, an
unknown or closed request or an invalid supplied output before anything is written.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError, RPCStatusCode

from starters import live
from starters.connect import connect
from workflows.humans import BudgetRaise, DecisionInput, DecisionRecord, check_decision
from workflows.state import RunState


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
        f"recorded: {record.request_id} → {record.outcome} by {record.by} at "
        f"{record.at:%Y-%m-%d %H:%M:%S} UTC" + (f" — {record.comment}" if record.comment else "")
    )
    return 0


async def _why_not(handle: WorkflowHandle[Any, Any], decision: DecisionInput, exc: RPCError) -> str:
    """Why the server refused: for a run that has ended, what its own check says about
    the request (e.g. already decided, and by whom), then that the run has ended."""
    if exc.status != RPCStatusCode.NOT_FOUND:
        return f"run {handle.id!r}: {exc.message}"
    try:
        state, _ = await live.read_run(handle)
    except (live.RunNotFound, TemporalError, RPCError):
        return f"run {handle.id!r}: {exc.message}"
    ended = f"run {handle.id} has ended ({state.status})"
    reason = check_decision(state.requests, decision)
    return f"{reason}; {ended}" if reason else ended


def resolve_input(
    request_id: str,
    by: str,
    comment: str,
    *,
    retry: bool,
    supply: str | None,
    skip: bool,
    abort: bool,
    inputs: str | None,
    go_on: bool = False,
    raise_usd: float | None = None,
    raise_tokens: int | None = None,
) -> DecisionInput:
    """The decision ``podium resolve`` sends; ValueError if the flags are wrong.

    Failed steps: --retry / --supply / --skip / --abort. Budget requests: --raise-usd /
    --raise-tokens / --continue / --abort. Missed deadlines: --continue / --skip / --abort.
    """
    raising = raise_usd is not None or raise_tokens is not None
    chosen = [
        name
        for name, on in (
            ("retry", retry),
            ("supply", supply is not None),
            ("skip", skip),
            ("abort", abort),
            ("continue", go_on),
            ("raise", raising),
        )
        if on
    ]
    if len(chosen) != 1:
        raise ValueError(
            "choose exactly one of --retry, --supply FILE, --skip, --abort (failed step); "
            "--raise-usd/--raise-tokens, --continue, --abort (budget); "
            "--continue, --skip, --abort (missed deadline)"
        )
    output: Any = None
    if supply is not None:
        try:
            output = json.loads(Path(supply).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--supply {supply}: cannot read JSON: {exc}") from None
    edited = None
    if inputs is not None:
        try:
            edited = json.loads(inputs)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--inputs is not valid JSON: {exc.msg}") from None
        if not isinstance(edited, dict) or not retry:
            raise ValueError("--inputs takes a JSON object and goes with --retry")
    return DecisionInput(
        request_id=request_id,
        outcome=chosen[0],
        by=by,  # type: ignore[arg-type]
        comment=comment,
        output=output,
        inputs=edited,
        budget=BudgetRaise(usd=raise_usd, tokens=raise_tokens) if raising else None,
    )


async def inbox(client: Client | None, user: str | None, address: str | None = None) -> int:
    """Print every open request (for ``user``, if given) across runs."""
    client = client or await connect(address)
    rows = await pending_requests(client, user)
    if not rows:
        print("no requests waiting" + (f" for {user}" if user else ""))
        return 0
    now = datetime.now(UTC)
    print(f"{'RUN':<36} {'REQUEST':<16} {'AGE':>6} {'DEADLINE':<21} {'WAITING ON':<18} TITLE")
    for run_id, request in rows:
        age = _age((now - request.opened_at).total_seconds())
        deadline = f"{request.deadline:%Y-%m-%d %H:%M} UTC" if request.deadline else "-"
        who = ", ".join(request.approvers) or "anyone"
        print(
            f"{run_id:<36} {request.id:<16} {age:>6} {deadline:<21} {who:<18} {request.title[:60]}"
        )
    return 0


async def pending_requests(client: Client, user: str | None) -> list[tuple[str, Any]]:
    """(run id, request) for each open request, found by search attributes then queried."""
    query = "PodiumNeedsHuman = true AND ExecutionStatus = 'Running'"
    if user and "'" not in user and '"' not in user:  # else filter below only
        query += f" AND PodiumWaitingOn IN ('{user.lower()}', 'anyone')"
    rows = []
    async for execution in client.list_workflows(query):
        try:
            handle = client.get_workflow_handle(execution.id)
            state = await handle.query("status", result_type=RunState)
        except TemporalError as exc:  # one unreadable run must not hide the others
            print(f"warning: cannot read run {execution.id}: {exc}", file=sys.stderr)
            continue
        for request in state.open_requests():
            approvers = {a.lower() for a in request.approvers}
            if not user or not approvers or user.lower() in approvers:
                rows.append((execution.id, request))
    return rows


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
