"""kill -9 of a worker process while its agent streams to a followed run: another worker
makes the call again, and a subscriber still ends with exactly the final answer — the
dead worker's take superseded by the new one, no text doubled or lost. Judged by the
run's events and the stream server's journal, never by the clock."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import stop_process
from podium.starters.launch import start_run

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.following import Follower
from tests.support.polling import eventually
from tests.support.stream_server import TEXT, stream_server
from tests.support.worker_process import start_worker

HELD_AFTER = 25
"""Tokens the server writes before it holds the answer (until the kill is done)."""


def catalog(url: str) -> dict:
    writer = {
        "model": "killstream:writer",
        "heartbeat": "2s",  # the dead worker's call is given to another soon
        "timeout": "60s",
        "retry": {"max_attempts": 1},  # a crash spends no attempt
    }
    return {
        "providers": {"killstream": {"base_url": url, "circuit": False}},
        "agents": {"writer": writer},
    }


SPEC = {
    "name": "stream_kill",
    "agents": "agents.yaml",
    "steps": [{"id": "reply", "agent": "writer", "with": {"message": "input.message"}}],
}


@pytest.mark.slow
async def test_a_worker_killed_mid_stream_leaves_exactly_the_final_answer(
    isolated_client, address, write_spec, tmp_path
):
    with stream_server(tokens_per_s=200, pause_after=HELD_AFTER) as llm:
        (tmp_path / "providers.yaml").write_text(yaml.safe_dump(catalog(llm.url)))
        plan = compile_spec(write_spec(SPEC, catalog(llm.url)))
        log = tmp_path / "workers.log"
        log.touch()
        extra = ("--catalog", str(tmp_path / "providers.yaml"))
        first = start_worker(address, log, ISOLATED_NAMESPACE, *extra)
        second = None
        try:
            handle = await start_run(isolated_client, plan, {"message": "parcel?"}, follow=True)
            run = Follower(isolated_client, handle.id)

            async def text_seen() -> bool:  # the dying take's text has reached the run
                return len(run.of("text.delta", "reply")) >= 2

            await eventually(text_seen, "two batches of the first worker's text", 30)
            assert not llm.entries(), "the answer is still being written"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            llm.resume()
            second = start_worker(address, log, ISOLATED_NAMESPACE, *extra)
            result = await asyncio.wait_for(handle.result(), 60)
            await run.ended()
        finally:
            stop_process(first)
            stop_process(second)
        journal = llm.entries()
    dead, finished = sorted(journal, key=lambda entry: entry.started)
    assert dead.key == finished.key, "one call, made again by the second worker"
    assert not dead.delivered and finished.delivered
    step = result.state.step("reply")
    assert step.status == "completed" and step.attempts == 1
    [call] = run.calls("reply")
    assert run.assembled(call) == step.output == TEXT
    killed, final = run.takes(call)
    assert killed.deltas >= 2 and TEXT.startswith(killed.text), "what the dead take sent"
    assert final.text == TEXT, "the new take: each delta once, none lost"
    [start] = [e for e in run.of("text.start") if e.take == final.id]
    assert start.data["worker_attempt"] == 2
