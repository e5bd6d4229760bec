"""The requests waiting for people across runs (``podium inbox``, the console's inbox):
found by the runs' search attributes, read from each run's state."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.workflows.state import RunState
from temporalio.client import Client
from temporalio.exceptions import TemporalError

log = logging.getLogger("podium")


async def pending_requests(
    client: Client, user: str | None, warn: Callable[[str], None] | None = None
) -> tuple[list[tuple[str, Any]], dict[str, tuple[list[str], UnknownEncryptionKey]]]:
    """(run id, request) for each open request, found by search attributes then queried;
    and the runs this client cannot decrypt, by the key they need. ``warn`` is told of a
    run that could not be read otherwise (default: the log)."""
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
            (warn or log.warning)(f"cannot read run {execution.id}: {exc}")
            continue
        for request in state.open_requests():
            approvers = {a.lower() for a in request.approvers}
            if not user or not approvers or user.lower() in approvers:
                rows.append((execution.id, request))
    return rows, unreadable
