"""kill -9 during a side-effecting tool call. The judge is an MCP booking server
(tests/support/mcp_booking.py) that journals every request and books once per
idempotency key, whatever the workers believe: a crash spends none of the tool's
attempts and the call books once; a call whose outcome stays unknown is recorded as
``unknown``, the model is told so, and the saga cancels it when the run fails."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import stop_process
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.worker_process import start_worker, wait_for

pytestmark = pytest.mark.slow
BOOK = {"flight": "SQ 972", "seat": "12A"}
BOOKED = "{{ tool_results.book.booking }}"
TOLD = "{{ tool_results.book.error }}"
ANSWER = {"output": {"booking": BOOKED, "told": TOLD}}


def spec(journal: Path, *, timeout: str = "30s", fail_later: bool = False) -> dict:
    """One agent books a seat (2 attempts at most), then answers with what the tool said;
    ``fail_later``: a later step fails, so the run is undone."""
    server = [sys.executable, "-m", "tests.support.mcp_booking", str(journal)]
    tools = {
        "book": {
            "mcp": {"command": server, "tool": "book_seat"},
            "side_effects": True,
            "compensate": "cancel",
            "timeout": timeout,
            "retry": {"max_attempts": 2, "initial_interval": "100ms"},
        },
        "cancel": {"mcp": {"command": server, "tool": "cancel_booking"}, "side_effects": True},
    }
    book = {"when": "turn == `1`", "tool_calls": [{"name": "book", "arguments": BOOK}]}
    agents = {"booker": {"model": "scripted", "tools": ["book"], "script": [book, ANSWER]}}
    steps = [{"id": "book", "agent": "booker"}]
    if fail_later:
        agents["breaker"] = {"model": "scripted", "script": [{"fail": "the deal fell through"}]}
        steps.append({"id": "later", "agent": "breaker"})
    body = {"name": "booking", "agents": {"tools": tools, "agents": agents}, "steps": steps}
    return body | {"output": "steps.book.output"}


def journal(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def events(path: Path, event: str) -> list[dict]:
    return [line for line in journal(path) if line["event"] == event]


async def tool_attempts(handle: WorkflowHandle) -> list[int]:
    """Each ``podium.run_tool`` activity of the run, as the Temporal attempt it completed
    or failed on (1 + the runs a dying worker cut off)."""
    history = await handle.fetch_history()
    scheduled = {
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "podium.run_tool"
    }
    return [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    ]


class Workers:
    """One worker process at a time, killed with its process group on demand."""

    def __init__(self, address: str, log: Path) -> None:
        self.address, self.log = address, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start_worker(self.address, self.log, ISOLATED_NAMESPACE)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process)


async def test_three_kills_during_one_booking_spend_no_attempt_and_book_once(
    isolated_client, address, write_spec, tmp_path
):
    path = tmp_path / "bookings.jsonl"
    hold = path.with_name(path.name + ".hold")
    hold.touch()  # the server books, then holds its answer: each kill lands after the booking
    plan = compile_spec(write_spec(spec(path)))
    workers = Workers(address, tmp_path / "worker.log")
    workers.start()
    try:
        handle = await start_run(isolated_client, plan, {})
        for kill in (1, 2, 3):
            await wait_for(
                lambda kill=kill: len(events(path, "request")) >= kill and events(path, "booked"),
                90,
                f"booking request {kill} (booked, answer held)",
            )
            workers.kill()
            if kill == 3:
                hold.unlink()  # the next worker is answered
            workers.start()
        result = await asyncio.wait_for(handle.result(), 120)
    finally:
        hold.unlink(missing_ok=True)
        workers.stop()
    [call] = result.state.step("book").tool_calls
    assert (call.tool, call.status, call.error) == ("book", "ok", None)  # not spent: 3 kills > 2
    assert result.output == {"booking": "BK-1", "told": None}
    requests = events(path, "request")
    assert len(requests) == 4 and {r["key"] for r in requests} == {call.key}  # sent 4 times
    assert [b["key"] for b in events(path, "booked")] == [call.key]  # booked once
    assert await tool_attempts(handle) == [4]  # one attempt, run again after each kill


async def test_a_booking_whose_outcome_stays_unknown_is_told_and_undone_by_the_saga(
    isolated_client, address, write_spec, tmp_path
):
    path = tmp_path / "bookings.jsonl"
    hold = path.with_name(path.name + ".hold")
    hold.touch()  # never answered: every attempt is cut off or runs out of time
    plan = compile_spec(write_spec(spec(path, timeout="2s", fail_later=True)))
    workers = Workers(address, tmp_path / "worker.log")
    workers.start()
    try:
        handle = await start_run(isolated_client, plan, {})
        await wait_for(lambda: events(path, "booked"), 90, "the booking (answer held)")
        workers.kill()
        workers.start()
        with pytest.raises(WorkflowFailureError):
            await asyncio.wait_for(handle.result(), 120)
        state = await handle.query("status", result_type=RunState)  # (a worker answers)
    finally:
        hold.unlink(missing_ok=True)
        workers.stop()
    [call] = state.step("book").tool_calls
    assert call.status == "unknown"
    told = state.step("book").output["told"]
    assert "outcome of this call to 'book' is unknown" in told and "undone with 'cancel'" in told
    [undo] = state.compensations
    assert (undo.step, undo.agent, undo.status) == ("book", "tool:cancel", "completed")
    [booked] = events(path, "booked")
    [cancelled] = events(path, "cancelled")
    assert booked["key"] == cancelled["key"] == call.key  # the undo found it by the key
    assert await tool_attempts(handle) == [2, 1, 1]  # cut off once, then 2 attempts ran out
