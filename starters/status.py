"""``podium status RUN``: what a run is doing (or did), from its ``status`` query."""

from __future__ import annotations

import sys
from typing import TextIO

from temporalio.client import Client

from activities.connection import connect
from starters.launch import ui_link
from starters.report import print_state
from workflows.state import RunState


def print_status(run_id: str, state: RunState, out: TextIO) -> None:
    """Header, steps, open requests, flags and compensations of one run."""
    out.write(
        f"{state.spec} run {run_id}: {state.status}"
        + (f" — {state.error}" if state.error else "")
        + "\n"
    )
    out.write(
        f"  tokens {state.usage.total_tokens}, cost ${state.cost_usd:.6f}"
        + (f", running: {', '.join(state.current)}" if state.current else "")
        + "\n"
    )
    print_state(state, out)
    for request in state.open_requests():
        who = ", ".join(request.approvers) or "anyone"
        deadline = f", deadline {request.deadline:%Y-%m-%d %H:%M} UTC" if request.deadline else ""
        out.write(f"  waiting: {request.id} ({request.title}) for {who}{deadline}\n")
    for flag in state.flags:
        out.write(f"  flag: {flag}\n")
    for undo in state.compensations:
        out.write(
            f"  compensated {undo.step} with {undo.agent}: {undo.status}"
            + (f" ({undo.error})" if undo.error else "")
            + "\n"
        )


async def main(client: Client | None, run_id: str, address: str | None = None) -> int:
    """Print the run's state; exit 0 if it completed or is still going, 1 if it failed."""
    client = client or await connect(address)
    state = await client.get_workflow_handle(run_id).query("status", result_type=RunState)
    print_status(run_id, state, sys.stdout)
    print(f"web UI: {ui_link(run_id, client.namespace)}")
    return 1 if state.status in ("failed", "cancelled") else 0
