"""``podium inbox [--as NAME]``: the requests waiting for people, across runs; under a
tool call's row, the call itself (its arguments cut after a few lines: ``podium show``
prints them whole).

Runs whose data is encrypted with a key this client lacks are not hidden: one line per
missing key names the runs and the variable to set (exit 2), after the rows it can read.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.formatting import age_text, when_minute
from podium.starters.open_requests import pending_requests
from podium.starters.request_view import call_lines
from temporalio.client import Client


async def main(client: Client | None, user: str | None, address: str | None = None) -> int:
    """Print every open request (for ``user``, if given) across runs."""
    client = client or await connect(address)
    rows, unreadable = await pending_requests(
        client, user, lambda line: print(f"warning: {line}", file=sys.stderr)
    )
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
