"""A run whose agent calls wait on a provider queue no worker polls (a provider added to
the catalog after the workers started) says so in podium status and podium run --wait."""

from __future__ import annotations

import asyncio
import io

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters import waiting
from podium.starters.commands import status
from podium.starters.launch import start_run
from podium.starters.unserved import unserved_lines
from temporalio.api.enums.v1 import PendingActivityState

from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
LATE = (
    "no worker serves provider 'late': its calls wait on task queue podium-llm-late, which "
    "no worker polls — restart podium worker (or podium dev) with the catalog that declares "
    "it (a worker serves the providers of the catalogs it was started with)"
)


def one_call(provider: str, base_url: str, **agent: object) -> tuple[dict, dict]:
    catalog = {
        "providers": {provider: {"base_url": base_url, "circuit": False}},
        "agents": {"writer": {"model": f"{provider}:m", **agent}},
    }
    spec = {"name": "late", "agents": "agents.yaml", "steps": [{"id": "draft", "agent": "writer"}]}
    return spec, catalog


async def test_a_call_to_a_provider_no_worker_serves_is_named_with_its_queue(client, write_spec):
    plan = compile_spec(write_spec(*one_call("late", "http://127.0.0.1:9/v1")), offline=False)
    handle = await start_run(client, plan, {})
    try:
        assert await eventually(lambda: unserved_lines(handle), "the call to wait") == [LATE]
        out = io.StringIO()
        assert await status.main(client, handle.id, out=out) == 0  # still going
        assert f"waiting for a worker: {LATE}\n" in out.getvalue()
        piped = io.StringIO()  # podium run --wait in a pipe
        announcer = asyncio.create_task(waiting.announce(handle, piped, 0.05))
        try:
            await eventually(lambda: _said(piped, LATE), "run --wait to say it")
        finally:
            announcer.cancel()
        assert piped.getvalue().count(LATE) == 1  # once, not every poll
    finally:
        await handle.terminate()


async def test_a_call_a_worker_runs_is_not_flagged(client, mock_llm, write_spec):
    mock_llm.queue({"type": "delay", "seconds": 3})
    spec, catalog = one_call("mock", f"{mock_llm.url}/v1")
    handle = await start_run(client, compile_spec(write_spec(spec, catalog), offline=False), {})
    try:
        await eventually(lambda: _started(handle), "the call to be picked up")
        assert await unserved_lines(handle) == []
    finally:
        await handle.terminate()


async def _said(out: io.StringIO, line: str) -> bool:
    return line in out.getvalue()


async def _started(handle) -> bool:
    pending = (await handle.describe()).raw_description.pending_activities
    return any(p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for p in pending)
