"""``podium show RUN REQUEST``: everything a person needs to decide one request.

The exact tool call (its arguments whole), an approval's title and details, a budget
request's spend so far, a failed step's error, who decides now and until when, the
escalation chain ahead, the history, and the commands that answer it — read from the
run's ``status`` query (a finished run's from its result). An unknown run or request is
one line and exit 2.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TextIO

from podium.starters import exit_codes, request_view
from podium.starters.connect import connect
from podium.starters.runs import RunNotFound, read_run
from podium.workflows.state import RunResult
from temporalio.client import Client


async def main(
    client: Client | None,
    run_id: str,
    request_id: str,
    address: str | None = None,
    *,
    out: TextIO | None = None,
) -> int:
    """Print request ``request_id`` of run ``run_id``; 2 if either is unknown."""
    out = out or sys.stdout
    client = client or await connect(address)
    handle = client.get_workflow_handle(run_id, result_type=RunResult)
    try:
        state, _ = await read_run(handle)
    except RunNotFound as exc:
        print(f"podium show: {exc}; `podium inbox` lists the waiting requests", file=sys.stderr)
        return exit_codes.USAGE
    request = next((r for r in state.requests if r.id == request_id), None)
    if request is None:
        known = ", ".join(r.id for r in state.requests) or "none"
        print(
            f"podium show: run {run_id} has no request {request_id!r}; its requests: {known}",
            file=sys.stderr,
        )
        return exit_codes.USAGE
    for line in request_view.show_lines(run_id, request, state, datetime.now(UTC)):
        out.write(line + "\n")
    return exit_codes.OK
