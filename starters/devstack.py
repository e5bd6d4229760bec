"""The dev stack: the embedded Temporal dev server plus a worker process (``podium dev``,
``make demo``).

What it started is recorded in ``.podium/dev.json`` (``starters.devstate``): other
commands in this folder connect to its address, and a later stack stops whatever an
earlier one left running (after a ``kill -9``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from podium.activities.payloads.settings import PayloadSettings, from_environment, new_key
from podium.starters import devstate
from podium.starters.codec_server import CodecServer
from podium.starters.devserver import DevServer, free_port, port_open, stop_process
from podium.starters.devstate import STATE_DIR, DevRecord

UI_FILE = "ui_url"
"""Written by ``podium dev`` in STATE_DIR: the base URL of the Web UI it started."""


class DevAlreadyRunning(RuntimeError):
    """Another ``podium dev`` runs in this folder."""


class DevStack:
    """Dev server (unless one already listens on the port) and a worker process."""

    def __init__(
        self,
        port: int = 7233,
        ui_port: int = 8233,
        state_dir: Path = STATE_DIR,
        metrics_port: int | None = None,
        catalogs: list[str] | None = None,
        encrypt: bool = False,
        codec_port: int | None = None,
    ):
        self.state_dir = state_dir
        self.metrics_port = metrics_port
        self.catalogs = catalogs or []
        self.server = DevServer(port=port, ui_port=ui_port, db=state_dir / "temporal.db")
        self.worker: subprocess.Popen[bytes] | None = None
        self.reused_server = False
        self.recorded = False
        self.payloads = {
            "PODIUM_PAYLOAD_STORE": os.environ.get("PODIUM_PAYLOAD_STORE")
            or f"file:{(state_dir / 'payloads').resolve()}"
        }
        """Large payloads go to ``.podium/payloads`` unless the environment names a store."""
        self.codec: CodecServer | None = None
        if encrypt:
            self.payloads["PODIUM_ENCRYPTION_KEY_FILE"] = str(self._key_file())
            settings = payload_settings_from(self.payloads)
            origins = [f"http://{h}:{ui_port}" for h in ("localhost", "127.0.0.1")]
            self.codec = CodecServer(settings, port=codec_port or free_port(), origins=origins)
            self.server.extra_args = ["--ui-codec-endpoint", self.codec.url]

    def _key_file(self) -> Path:
        """``.podium/keys``: made (owner-only) with one new key on the first ``--encrypt``."""
        path = (self.state_dir / "keys").resolve()
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            _ignored(self.state_dir)
            path.touch(mode=0o600)
            path.write_text(f"# newest key first; podium keygen makes another\n{new_key()}\n")
        return path

    @property
    def address(self) -> str:
        """Where clients connect."""
        return self.server.address

    def start(self) -> None:
        """Start (or reuse) the server, then a worker; wait until both are ready."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _ignored(self.state_dir)
        self._clean_up_after_earlier_run()
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
        if self.codec is not None:
            self.codec.start()
        self._record()
        extra = ["--metrics-port", str(self.metrics_port)] if self.metrics_port else []
        for catalog in self.catalogs:
            extra += ["--catalog", catalog]
        log = self.state_dir / "worker.log"
        offset = log.stat().st_size if log.exists() else 0
        self.worker = spawn_worker(self.address, log, extra, self.payloads)
        self._record()  # before waiting: a signal now still finds (and stops) the worker
        wait_until_ready(self.worker, log, offset)

    def stop(self) -> None:
        """Stop what this stack started (worker first, then the server)."""
        stop_process(self.worker)
        self.worker = None
        if self.codec is not None:
            self.codec.stop()
            self.codec = None
        if self.server.process is not None:  # started here, not reused
            self.server.stop()
            (self.state_dir / UI_FILE).unlink(missing_ok=True)
        if self.recorded:
            devstate.clear(self.state_dir)
            self.recorded = False

    def _record(self) -> None:
        server = self.server.process
        devstate.write(
            DevRecord(
                address=self.address,
                ui_url=None if self.reused_server else f"http://localhost:{self.server.ui_port}",
                dev_pid=os.getpid(),
                server_pid=server.pid if server is not None else None,
                worker_pid=self.worker.pid if self.worker is not None else None,
                worker_started=devstate.start_time(self.worker.pid) if self.worker else None,
                server_started=devstate.start_time(server.pid) if server else None,
                dev_started=devstate.start_time(os.getpid()),
                payload_store=self.payloads.get("PODIUM_PAYLOAD_STORE"),
                key_file=self.payloads.get("PODIUM_ENCRYPTION_KEY_FILE"),
            ),
            self.state_dir,
        )
        self.recorded = True

    def _clean_up_after_earlier_run(self) -> None:
        """Refuse if a ``podium dev`` runs here; stop what a dead one left running."""
        earlier = devstate.read(self.state_dir)
        if earlier is None or earlier.dev_pid == os.getpid():
            return
        if devstate.alive(earlier.dev_pid, *devstate.DEV_WORDS, started=earlier.dev_started):
            raise DevAlreadyRunning(
                f"podium dev is already running in this folder (pid {earlier.dev_pid}, "
                f"Temporal at {earlier.address}); use it, or stop it first "
                f"(Ctrl-C in its terminal, or kill {earlier.dev_pid})"
            )
        left = devstate.leftovers(earlier)
        if left:
            names = " and ".join(f"a {what} (pid {pid})" for what, pid in left)
            print(
                f"found {names} left running by an earlier `podium dev` in this folder "
                f"(pid {earlier.dev_pid}, no longer running); stopping them and starting "
                "afresh — runs in progress are kept in the database and go on",
                flush=True,
            )
            for _, pid in left:
                devstate.stop_group(pid)
        devstate.clear(self.state_dir)


def spawn_worker(
    address: str, log: Path, extra: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python -m workers`` against ``address`` in its own session, logging to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "podium.workers", "--address", address, *extra],
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        )


def wait_until_ready(
    process: subprocess.Popen[bytes], log: Path, offset: int, timeout_s: float = 60.0
) -> None:
    """Wait for the worker's ready line in ``log`` (after ``offset``); raise with its log
    if it dies or does not get ready in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = log.read_bytes()[offset:].decode(errors="replace")
        if "podium worker ready" in text:
            print(f"worker started (pid {process.pid}, log {log})", flush=True)
            return
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"worker did not start; its log ({log}) says:\n{text[-2000:]}")
        time.sleep(0.1)


def payload_settings_from(variables: dict[str, str]) -> PayloadSettings:
    """The payload settings ``variables`` (over this process's environment) give."""
    return from_environment({**os.environ, **variables})


def _ignored(state_dir: Path) -> None:
    """``.podium/`` holds the database, payloads and keys: never commit it."""
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(
            "# written by podium dev: the database, payloads and keys stay local\n*\n"
        )
