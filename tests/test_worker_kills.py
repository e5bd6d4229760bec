"""Repeated kill -9 of worker processes: every run completes, no completed call is made
twice, and a crash never spends an agent's attempts. The judge is a journaling HTTP
provider on loopback (tests/support/fault_server.py): it sees every request and its
idempotency key, whatever the workers believe."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable

import pytest
import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import stop_process
from podium.starters.launch import start_run

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.fault_server import Entry, FaultServer, fault_server, unexplained_repeats
from tests.support.worker_process import start_worker, wait_for

SCHEMA = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}


def catalog(url: str, provider: str, attempts: int = 1, **limits: object) -> dict:
    """Agents with few attempts: before, every call a dying worker cut off spent one."""
    agent = {
        "model": f"{provider}:m",
        "output": SCHEMA,
        "heartbeat": "2s",  # short, yet no spurious timeout on a loaded CI machine
        "timeout": "60s",  # a call held at the provider while a worker restarts (<= 30 s)
        "retry": {"max_attempts": attempts},
    }
    return {
        # (instructions only: a 500 to a response_format would be probed at once in a
        # weaker mode, within the same attempt)
        "providers": {
            provider: {"base_url": url, "circuit": False, "structured_output": "none", **limits}
        },
        "agents": {"analyst": agent, "writer": agent},
    }


SPEC = {
    "name": "kills",
    "agents": "agents.yaml",
    "steps": [
        {
            "id": "reviews",
            "parallel": [
                {"id": f"r{i}", "agent": "analyst", "with": {"doc": "input.doc"}} for i in range(3)
            ],
        },
        {"id": "merge", "agent": "analyst", "with": {"a": "steps.r0.output"}},
        {"id": "brief", "agent": "writer", "with": {"m": "steps.merge.output"}},
    ],
}


KILLS = 5
ANSWERS_BETWEEN_KILLS = 3
"""5 × 3 answers are fewer than the runs need (6 × 5): no run can end before the last kill."""


async def kill_and_revive(
    workers: list[subprocess.Popen[bytes]],
    start: Callable[[], subprocess.Popen[bytes]],
    llm: FaultServer,
    kills: list[float],
) -> None:
    """Kill a random worker (process group, SIGKILL) while calls are in flight, start a
    new one, ``KILLS`` times. Judged by events, not by the clock: the provider answers
    ``ANSWERS_BETWEEN_KILLS`` calls, holds the next, and the kill lands while a call
    made since the last kill waits there — however slow the machine, every kill lands
    mid-run, between answers a worker may not have reported yet."""
    rng = random.Random(7)
    since = llm.arrivals
    for _ in range(KILLS):
        llm.grant(ANSWERS_BETWEEN_KILLS)
        await wait_for(lambda n=since: llm.held_since(n) > 0, 60, "a call since the last kill")
        victim = rng.randrange(len(workers))
        os.killpg(workers[victim].pid, signal.SIGKILL)
        kills.append(time.time())
        since = llm.arrivals  # calls of the dead worker stay held: they are not in flight
        workers[victim].wait()
        workers[victim] = await asyncio.to_thread(start)
    llm.grant(None)


@pytest.mark.slow
@pytest.mark.parametrize("limits", [{}, {"requests_per_second": 20}], ids=["plain", "rate-limited"])
async def test_repeated_worker_kills_fail_no_run_and_repeat_no_completed_call(
    isolated_client, address, write_spec, tmp_path, limits
):
    provider = "killtest" if not limits else "killtest-rps"
    with fault_server(latency_s=0.6, allowance=0) as llm:
        (tmp_path / "providers.yaml").write_text(yaml.safe_dump(catalog(llm.url, provider)))
        plan = compile_spec(write_spec(SPEC, catalog(llm.url, provider, **limits)))
        log = tmp_path / "workers.log"
        log.touch()

        def start() -> subprocess.Popen[bytes]:
            return start_worker(
                address, log, ISOLATED_NAMESPACE, "--catalog", str(tmp_path / "providers.yaml")
            )

        workers = [start(), start()]
        kills: list[float] = []
        try:
            handles = [
                await start_run(isolated_client, plan, {"doc": f"deal {i}"}) for i in range(6)
            ]
            await kill_and_revive(workers, start, llm, kills)
            results = await asyncio.wait_for(
                asyncio.gather(*(h.result() for h in handles), return_exceptions=True), 120
            )
        finally:
            llm.grant(None)
            for process in workers:
                stop_process(process)
        journal = llm.entries()
    failed = [r for r in results if isinstance(r, BaseException)]
    assert not failed, f"{len(failed)} of 6 runs failed under worker kills: {failed[0]!r}"
    assert len(kills) == KILLS
    for result in results:
        assert all(s.status == "completed" for s in result.state.steps)
    assert not unexplained_repeats(journal, kills), "a completed agent call was made again"
    assert sum(1 for e in journal if e.outcome == "ok") >= 6 * 5


@pytest.mark.slow
async def test_a_call_cut_off_by_a_dying_worker_spends_no_attempt_and_logs_no_traceback(
    isolated_client, address, write_spec, tmp_path
):
    with fault_server(latency_s=1.5, script=["500"]) as llm:
        (tmp_path / "providers.yaml").write_text(yaml.safe_dump(catalog(llm.url, "killone", 2)))
        spec = {**SPEC, "steps": [{"id": "brief", "agent": "writer", "with": {"m": "input"}}]}
        plan = compile_spec(write_spec(spec, catalog(llm.url, "killone", 2)))
        log = tmp_path / "worker.log"
        log.touch()
        extra = ("--catalog", str(tmp_path / "providers.yaml"))
        first = start_worker(address, log, ISOLATED_NAMESPACE, *extra)
        second = None
        try:
            handle = await start_run(isolated_client, plan, {})
            await wait_for(lambda: len(llm.entries()) == 1, 30, "the first attempt's 500")
            await wait_for(lambda: llm.in_flight > 0, 30, "the second attempt")
            os.killpg(first.pid, signal.SIGKILL)  # in the middle of attempt 2 of 2
            first.wait()
            second = start_worker(address, log, ISOLATED_NAMESPACE, *extra)
            result = await asyncio.wait_for(handle.result(), 60)
        finally:
            stop_process(first)
            stop_process(second)
        journal = llm.entries()
    step = result.state.steps[0]
    assert step.status == "completed" and step.attempts == 2  # the 500, then the answer
    assert [e.outcome for e in journal] == ["500", "ok", "ok"]  # attempt 2 ran twice
    assert len({e.key for e in journal}) == 1  # one call: one key
    text = log.read_text()
    assert text.count("agent call failed") == 1  # the 500: one line, no traceback
    assert "Traceback" not in text


def test_the_judge_flags_a_repeat_no_kill_explains():
    one = Entry(key="k", body_sha="x", outcome="ok", started=10.0, ended=10.4)
    again = Entry(key="k", body_sha="x", outcome="ok", started=20.0, ended=20.4)
    assert unexplained_repeats([one, again], kills=[]) == ["k"]
    assert unexplained_repeats([one, again], kills=[15.0]) == ["k"]  # answered long before
    assert unexplained_repeats([one, again], kills=[10.5]) == []  # in flight at the kill
