"""``podium watch RUN [--after N]``: a run's events live — its steps as they start and
finish, who it waits for, tool calls, the supervisor's choices and the agents' text as
it is written — until the run ends (``starters/watch_view.py`` draws them).

Watching makes the run's agents stream their text from their next call on. Exit codes
as ``podium status --watch``: 0 completed, 1 failed or unknown run, 3 cancelled.
"""

from __future__ import annotations

import sys
from typing import TextIO

from podium.activities.payloads.codec import UnknownEncryptionKey
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.launch import ui_link
from podium.starters.runs import RunNotFound, describe
from podium.starters.watch_view import show
from temporalio.client import Client

ENDED = {"completed": exit_codes.OK, "cancelled": exit_codes.CANCELLED}


async def main(
    client: Client | None,
    run_id: str,
    address: str | None = None,
    *,
    after: int | None = None,
    out: TextIO | None = None,
) -> int:
    """Show run ``run_id``'s events (after offset ``after``) until it ends; the exit code."""
    out = out or sys.stdout
    client = client or await connect(address)
    try:
        await describe(client.get_workflow_handle(run_id))
        picture = await show(client, run_id, out, after=after)
    except RunNotFound as exc:
        print(f"podium watch: {exc}", file=sys.stderr)
        return exit_codes.FAILED
    except UnknownEncryptionKey as exc:  # one line naming the key (the CLI prints it)
        raise exc.reading(f"run {run_id}") from None
    out.write(f"web UI: {ui_link(run_id, client.namespace)}\n")
    return ENDED.get(picture.status, exit_codes.FAILED)
