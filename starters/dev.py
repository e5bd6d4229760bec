"""``podium dev``: the embedded Temporal dev server plus a worker, until Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from starters.devserver import DevServer, port_open, stop_process

STATE_DIR = Path(".podium")
UI_FILE = "ui_url"
"""Written by ``podium dev`` in STATE_DIR: the base URL of the Web UI it started."""


class DevStack:
    """Dev server (unless one already listens on the port) and a worker process."""

    def __init__(
        self,
        port: int = 7233,
        ui_port: int = 8233,
        state_dir: Path = STATE_DIR,
        metrics_port: int | None = None,
    ):
        self.state_dir = state_dir
        self.metrics_port = metrics_port
        self.server = DevServer(port=port, ui_port=ui_port, db=state_dir / "temporal.db")
        self.worker: subprocess.Popen[bytes] | None = None
        self.reused_server = False

    @property
    def address(self) -> str:
        """Where clients connect."""
        return self.server.address

    def start(self) -> None:
        """Start (or reuse) the server, then a worker; wait until both are ready."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if port_open(self.server.port):
            self.reused_server = True
            print(f"using the Temporal server already listening on {self.address}")
        else:
            print(
                f"starting Temporal dev server on {self.address} "
                f"(Web UI http://localhost:{self.server.ui_port}, data in {self.server.db}) …",
                flush=True,
            )
            self.server.start()
            # `podium run/status` in this folder link to this UI (its port may not be 8233)
            (self.state_dir / UI_FILE).write_text(f"http://localhost:{self.server.ui_port}\n")
        extra = ["--metrics-port", str(self.metrics_port)] if self.metrics_port else []
        self.worker = start_worker(self.address, self.state_dir / "worker.log", extra=extra)

    def stop(self) -> None:
        """Stop what this stack started (worker first, then the server)."""
        stop_process(self.worker)
        self.worker = None
        if not self.reused_server:
            self.server.stop()
            (self.state_dir / UI_FILE).unlink(missing_ok=True)


def start_worker(
    address: str, log: Path, timeout_s: float = 60.0, extra: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python -m workers`` against ``address``; wait for its ready line in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers", "--address", address, *(extra or [])],
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + timeout_s
    while True:
        text = log.read_bytes()[offset:].decode(errors="replace")
        if "podium worker ready" in text:
            print(f"worker started (pid {process.pid}, log {log})", flush=True)
            return process
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"worker did not start; its log ({log}) says:\n{text[-2000:]}")
        time.sleep(0.1)


def main(port: int = 7233, ui_port: int = 8233, metrics_port: int | None = None) -> int:
    """Run the dev stack until Ctrl-C (``metrics_port``: the worker's Prometheus endpoint)."""
    stack = DevStack(port, ui_port, metrics_port=metrics_port)
    try:
        stack.start()
        print(
            f"Podium dev stack ready. Web UI: {stack.server.ui_url()}\n"
            f"Run e.g.: podium run specs/market_entry.yaml --input-file "
            f"specs/inputs/market_entry.json --wait\nPress Ctrl-C to stop.",
            flush=True,
        )
        while True:
            if stack.worker is not None and stack.worker.poll() is not None:
                print("worker exited; see .podium/worker.log", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping …")
        return 0
    finally:
        stack.stop()
