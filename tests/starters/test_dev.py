"""`podium dev` as a user runs it: stopped by signals, remembered by the folder's other
commands, cleaning up after an earlier one that was killed (real processes, real server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from podium.starters import devstate
from podium.starters.devserver import free_port, port_open

from tests.support.polling import eventually_sync

PODIUM = str(Path(sys.executable).parent / "podium")
pytestmark = pytest.mark.slow


def env(**extra: str) -> dict[str, str]:
    """The caller's environment without a Temporal address or model key."""
    drop = ("OPENAI_API_KEY", "TEMPORAL_ADDRESS", "PODIUM_UI_URL")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def podium(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PODIUM, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env=env(**extra),
    )


class Dev:
    """``podium dev`` in ``cwd`` (its own session, output in a log file)."""

    def __init__(self, cwd: Path, *args: str, name: str = "dev", **extra: str):
        self.cwd, self.port = cwd, free_port()
        self.log = cwd / f"{name}.log"
        with open(self.log, "wb") as sink:
            self.process = subprocess.Popen(
                [PODIUM, "dev", "--port", str(self.port), "--ui-port", str(free_port()), *args],
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env(PYTHONUNBUFFERED="1", **extra),
                start_new_session=True,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = 90) -> devstate.DevRecord:

        def ready() -> bool:
            text = self.text()
            assert self.process.poll() is None, f"podium dev exited:\n{text}"
            return "Podium dev stack ready" in text

        eventually_sync(ready, f"podium dev to be ready (its log: {self.log})", timeout_s)
        record = devstate.read(self.cwd / ".podium")
        assert record is not None and record.address == f"127.0.0.1:{self.port}"
        return record

    def wait_exit(self, timeout_s: float = 30) -> int:
        return self.process.wait(timeout=timeout_s)


def wait_gone(pid: int, timeout_s: float = 15) -> None:
    eventually_sync(lambda: not devstate.alive(pid), f"process {pid} to end", timeout_s)


def wait_closed(port: int, timeout_s: float = 15) -> None:
    eventually_sync(lambda: not port_open(port), f"port {port} to close", timeout_s)


@pytest.fixture
def cleanup():
    """Kill every process group a test registers, whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if devstate.alive(pid):
            devstate.stop_group(pid, grace_s=5)


def test_sigterm_stops_server_and_worker_and_the_folder_remembers_the_address(tmp_path, cleanup):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "local.yaml").write_text(
        yaml.safe_dump(
            {
                "providers": {
                    "localmock": {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "LOCAL_KEY"}
                },
                "agents": {"helper": {"model": "localmock:small"}},
            }
        )
    )
    dev = Dev(tmp_path, "--catalog", str(catalog), LOCAL_KEY="x")
    cleanup.append(dev.process.pid)
    record = dev.wait_ready()
    cleanup += [record.server_pid, record.worker_pid]
    # --catalog reached the worker: it serves the catalog's provider
    assert "podium-llm-localmock" in (tmp_path / ".podium" / "worker.log").read_text()

    # no flag, no TEMPORAL_ADDRESS: the commands in this folder reach this podium dev
    proc = podium(tmp_path, "status", "no-such-run")
    assert proc.returncode == 1 and "no run 'no-such-run'" in proc.stderr, proc.stderr
    closed = f"127.0.0.1:{free_port()}"
    proc = podium(tmp_path, "status", "no-such-run", TEMPORAL_ADDRESS=closed)
    assert proc.returncode == 4, proc.stderr  # the variable beats the folder's podium dev
    assert f"cannot reach Temporal at {closed}" in proc.stderr and "TEMPORAL_ADDRESS" in proc.stderr
    proc = podium(
        tmp_path, "status", "no-such-run", "--address", record.address, TEMPORAL_ADDRESS=closed
    )
    assert proc.returncode == 1 and "no run 'no-such-run'" in proc.stderr  # the flag beats both

    # a second podium dev in the same folder says so instead of fighting over .podium/
    second = Dev(tmp_path, name="second")
    assert second.wait_exit() == 1
    assert f"podium dev is already running in this folder (pid {dev.process.pid}" in second.text()

    os.kill(dev.process.pid, signal.SIGTERM)
    assert dev.wait_exit() == 0, dev.text()
    wait_closed(dev.port)
    assert not devstate.alive(record.worker_pid) and not devstate.alive(record.server_pid)
    assert devstate.read(tmp_path / ".podium") is None


def test_sighup_a_closed_terminal_stops_everything(tmp_path, cleanup):
    dev = Dev(tmp_path)
    cleanup.append(dev.process.pid)
    record = dev.wait_ready()
    cleanup += [record.server_pid, record.worker_pid]
    os.kill(dev.process.pid, signal.SIGHUP)
    assert dev.wait_exit() == 0, dev.text()
    wait_closed(dev.port)
    assert not devstate.alive(record.worker_pid) and not devstate.alive(record.server_pid)


def test_a_later_podium_dev_stops_what_a_killed_one_left_running(tmp_path, cleanup):
    first = Dev(tmp_path, name="first")
    cleanup.append(first.process.pid)
    old = first.wait_ready()
    cleanup += [old.server_pid, old.worker_pid]
    os.kill(first.process.pid, signal.SIGKILL)  # nothing can clean up after this
    first.wait_exit()
    assert devstate.alive(old.worker_pid) and port_open(first.port)

    second = Dev(tmp_path, name="second")
    cleanup.append(second.process.pid)
    new = second.wait_ready()
    cleanup += [new.server_pid, new.worker_pid]
    text = second.text()
    assert f"a worker (pid {old.worker_pid})" in text
    assert f"Temporal server (127.0.0.1:{first.port}) (pid {old.server_pid})" in text
    assert "left running by an earlier `podium dev` in this folder" in text
    assert "stopping them and starting afresh" in text
    wait_gone(old.worker_pid)
    wait_gone(old.server_pid)
    wait_closed(first.port)

    os.kill(second.process.pid, signal.SIGTERM)
    assert second.wait_exit() == 0
    wait_closed(second.port)
