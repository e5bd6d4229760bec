"""``podium status RUN [--watch]``: what a run is doing (or did), from its ``status`` query.

A run whose workflow task the workers keep failing (a key or a step kind they lack) has
no state to show: one line says why and what to set on the workers (``--watch`` shows
it and goes on watching). Data encrypted with a key this client lacks is one line
naming the key (``UnknownEncryptionKey``, exit 2).
"""

from __future__ import annotations

import sys
from typing import TextIO

from podium.starters import exit_codes, run_view
from podium.starters.connect import connect
from podium.starters.launch import ui_link
from podium.starters.runs import RunNotFound, RunStuck, read_run
from podium.starters.unserved import unserved_lines
from podium.workflows.state import RunResult
from temporalio.client import Client


async def main(
    client: Client | None,
    run_id: str,
    address: str | None = None,
    *,
    watch: bool = False,
    out: TextIO | None = None,
    interval_s: float = run_view.POLL_S,
) -> int:
    """Print the run's state (with ``watch``: follow it until it ends).

    Returns 1 if the run failed (or is stuck, without ``watch``), 3 if it was cancelled,
    else 0 (completed, or still going without ``watch``); see ``starters.exit_codes``.
    """
    out = out or sys.stdout
    client = client or await connect(address)
    handle = client.get_workflow_handle(run_id, result_type=RunResult)
    try:
        if watch:
            state = await run_view.watch(handle, out, interval_s=interval_s)
            run_view.print_details(state, out)
        else:
            state, _ = await read_run(handle)
            run_view.print_run(run_id, state, out)
            out.writelines(
                f"waiting for a worker: {line}\n" for line in await unserved_lines(handle)
            )
    except RunNotFound as exc:
        print(f"podium status: {exc}", file=sys.stderr)
        return exit_codes.FAILED
    except RunStuck as exc:
        print(f"podium status: {exc}", file=sys.stderr)
        out.write(f"web UI: {ui_link(run_id, client.namespace)}\n")
        return exit_codes.FAILED
    out.write(f"web UI: {ui_link(run_id, client.namespace)}\n")
    if state.status == "cancelled":
        return exit_codes.CANCELLED
    return exit_codes.FAILED if state.status == "failed" else exit_codes.OK
