"""``podium inbox [--as NAME]``: the requests waiting for people, across runs; under a
tool call's row, the call itself (its arguments cut after a few lines: ``podium show``
prints them whole).

Runs whose data is encrypted with a key this client lacks are not hidden: one line per
missing key names the runs and the variable to set (exit 2), after the rows it can read.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.formatting import age_text, when_minute
from podium.starters.request_view import call_lines
from podium.workflows.state import RunState
from temporalio.client import Client
from temporalio.exceptions import TemporalError


async def main(client: Client | None, user: str | None, address: str | None = None) -> int:
    """Print every open request (for ``user``, if given) across runs."""
    client = client or await connect(address)
    rows, unreadable = await pending_requests(client, user)
    if not rows and not unreadable:
        print("no requests waiting" + (f" for {user}" if user else ""))
        return exit_codes.OK
    now = datetime.now(UTC)
    if rows:
        print(f"{'RUN':<36} {'REQUEST':<16} {'AGE':>6} {'DEADLINE':<21} {'WAITING ON':<18} TITLE")
    for run_id, request in rows:
        age = age_text((now - request.opened_at).total_seconds())
        deadline = when_minute(request.deadline) if request.deadline else "-"
        who = ", ".join(request.approvers) or "anyone"
        print(
            f"{run_id:<36} {request.id:<16} {age:>6} {deadline:<21} {who:<18} {request.title[:60]}"
        )
        for line in call_lines(run_id, request, whole=False, indent="    "):
            print(line)  # the exact call a person is asked to approve
    for run_ids, error in unreadable.values():
        if len(run_ids) == 1:
            said = error.reading(f"run {run_ids[0]}, waiting for people")
        else:
            runs = f"{len(run_ids)} runs waiting for people ({', '.join(run_ids)})"
            said = error.reading(runs, data="their data")
        print(f"podium inbox: {said}", file=sys.stderr)
    return exit_codes.USAGE if unreadable else exit_codes.OK


async def pending_requests(
    client: Client, user: str | None
) -> tuple[list[tuple[str, Any]], dict[str, tuple[list[str], UnknownEncryptionKey]]]:
    """(run id, request) for each open request, found by search attributes then queried;
    and the runs this client cannot decrypt, by the key they need."""
    query = "PodiumNeedsHuman = true AND ExecutionStatus = 'Running'"
    if user and "'" not in user and '"' not in user:  # else filter below only
        query += f" AND PodiumWaitingOn IN ('{user.lower()}', 'anyone')"
    rows = []
    unreadable: dict[str, tuple[list[str], UnknownEncryptionKey]] = {}
    async for execution in client.list_workflows(query):
        try:
            handle = client.get_workflow_handle(execution.id)
            state = await handle.query("status", result_type=RunState)
        except UnknownEncryptionKey as exc:
            unreadable.setdefault(exc.key_id, ([], exc))[0].append(execution.id)
            continue
        except TemporalError as exc:  # one unreadable run must not hide the others
            print(f"warning: cannot read run {execution.id}: {exc}", file=sys.stderr)
            continue
        for request in state.open_requests():
            approvers = {a.lower() for a in request.approvers}
            if not user or not approvers or user.lower() in approvers:
                rows.append((execution.id, request))
    return rows, unreadable
