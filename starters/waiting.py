"""What a run waits for from people, and the command that answers it.

``podium status`` and the live table show it under the steps; ``podium run --wait``
written to a pipe (where no table is drawn until the end) prints it once per request as
it opens or escalates, so a script's log says why the command is still waiting — and,
once, why the run is stuck when the workers keep failing its workflow task.
"""

from __future__ import annotations

import asyncio
from typing import Any, TextIO

from podium.starters.formatting import when_minute
from podium.starters.runs import RunStuck, read_run
from podium.starters.unserved import unserved_lines
from podium.workflows.humans import HumanRequest
from podium.workflows.state import RunState
from temporalio.client import WorkflowHandle
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError

ANSWERS = {
    "approval": ("approve", "--approve|--reject"),
    "failure": ("resolve", "--retry|--supply FILE|--skip|--abort"),
    "budget": ("resolve", "--raise-usd X|--raise-tokens N|--continue|--abort"),
    "deadline": ("resolve", "--continue|--skip|--abort"),
    "question": (
        "resolve",
        "--supply FILE (or podium approve … --approve|--reject --comment TEXT)",
    ),
}


def answer_command(run_id: str, request: HumanRequest) -> str:
    """The ``podium approve/resolve`` command line that answers ``request``."""
    verb, choices = ANSWERS[request.kind]
    who = f" --as {request.approvers[0]}" if request.approvers else ""
    return f"podium {verb} {run_id} {request.id} {choices}{who}"


def request_line(request: HumanRequest) -> str:
    """``signoff-1 (title) for deal-desk, deadline 2026-11-24 05:02 UTC``."""
    who = ", ".join(request.approvers) or "anyone"
    deadline = f", deadline {when_minute(request.deadline)}" if request.deadline else ""
    return f"{request.id} ({request.title}) for {who}{deadline}"


def waiting_lines(state: RunState, run_id: str | None = None) -> list[str]:
    """Two lines per open request: what it is and (given ``run_id``) how to answer."""
    lines = []
    for request in state.open_requests():
        lines.append(f"  waiting: {request_line(request)}")
        if run_id:
            lines.append(f"    answer: {answer_command(run_id, request)}")
    return lines


async def announce(handle: WorkflowHandle[Any, Any], out: TextIO, interval_s: float) -> None:
    """Until cancelled: print each request the run opens (again when it escalates), and
    why the run is stuck, or waits for a worker no one started, when it is."""
    shown: set[tuple[str, tuple[str, ...]]] = set()
    told: set[str] = set()
    stuck = ""
    while True:
        state: RunState | None = None
        try:
            state, _ = await read_run(handle)
        except RunStuck as exc:
            if str(exc) != stuck:
                stuck = str(exc)
                out.write(
                    f"{stuck}\n  (this command waits until the run goes on; Ctrl-C stops "
                    "waiting, not the run)\n"
                )
                out.flush()
        except (TemporalError, RPCError):  # e.g. no worker for a moment: try again
            pass
        for line in await unserved_lines(handle) if state else []:
            if line not in told:
                told.add(line)
                out.write(
                    f"waiting for a worker: {line}\n  (this command waits until one serves "
                    "it; Ctrl-C stops waiting, not the run)\n"
                )
                out.flush()
        for request in state.open_requests() if state else []:
            key = (request.id, tuple(request.approvers))
            if key in shown:
                continue
            shown.add(key)
            out.write(
                f"waiting for a person: {request_line(request)}\n"
                f"  answer: {answer_command(handle.id, request)}\n"
                "  (this command waits until it is answered; Ctrl-C stops waiting, "
                "not the run)\n"
            )
            out.flush()
        await asyncio.sleep(interval_s)
