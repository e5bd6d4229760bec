"""`podium dev` stops only processes an earlier `podium dev` started — never a process
that got the same pid later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from podium.starters import devstate

from tests.support.polling import eventually_sync


def test_a_recycled_pid_is_not_taken_for_the_recorded_process():
    me = os.getpid()  # alive, but not the worker the record names
    record = devstate.DevRecord(
        address="127.0.0.1:7233",
        dev_pid=1,
        worker_pid=me,
        worker_started=str(int(devstate.start_time(me) or 0) + 1),
        server_pid=me,
        server_started=devstate.start_time(me),  # right start time, wrong command line
    )
    assert devstate.leftovers(record) == []


def test_the_recorded_process_is_found_by_pid_start_time_and_command_line():
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(30)",
            "-m",
            "podium.workers",
            "127.0.0.1:7299",
        ]
    )
    try:
        cmdline = Path("/proc") / str(process.pid) / "cmdline"
        exec_d = "the fork to exec (its command line names podium.workers)"
        eventually_sync(lambda: b"workers" in cmdline.read_bytes(), exec_d, timeout=10)
        record = devstate.DevRecord(
            address="127.0.0.1:7299",
            dev_pid=1,
            worker_pid=process.pid,
            worker_started=devstate.start_time(process.pid),
        )
        assert devstate.leftovers(record) == [("worker", process.pid)]
    finally:
        process.kill()
        process.wait()
