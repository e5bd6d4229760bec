"""What ``podium dev`` records about itself in ``.podium/dev.json``, and reading it back.

The record says where its Temporal frontend listens (so ``podium run/status/inbox/…``
in the same folder connect there without ``--address``) and which processes it started
(so a later ``podium dev`` can find the ones an earlier one left running, e.g. after a
``kill -9``). It is removed when ``podium dev`` stops cleanly.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

STATE_DIR = Path(".podium")
DEV_FILE = "dev.json"


class DevRecord(BaseModel):
    """One running ``podium dev``: its address and the pids it started."""

    address: str
    ui_url: str | None = None
    dev_pid: int
    server_pid: int | None = None
    """None when it reused a server that something else had started."""
    worker_pid: int | None = None
    dev_started: str | None = None
    server_started: str | None = None
    worker_started: str | None = None
    """Start times of those processes (``start_time``): a recycled pid is not ours."""
    payload_store: str | None = None
    """Where its worker stores large payloads (``file:…/.podium/payloads``): commands in
    this folder read and write the same."""
    key_file: str | None = None
    """With ``--encrypt``: the file of encryption keys its worker uses."""


def read(state_dir: Path = STATE_DIR) -> DevRecord | None:
    """The record in ``state_dir``, or None if there is none (or it is unreadable)."""
    try:
        return DevRecord.model_validate_json((state_dir / DEV_FILE).read_text())
    except (OSError, ValidationError):
        return None


def write(record: DevRecord, state_dir: Path = STATE_DIR) -> None:
    """Save ``record`` (replacing any earlier one)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / DEV_FILE).write_text(record.model_dump_json(indent=1) + "\n")


def clear(state_dir: Path = STATE_DIR) -> None:
    """Forget the record (``podium dev`` stopped what it started)."""
    (state_dir / DEV_FILE).unlink(missing_ok=True)


def recorded_address(state_dir: Path = STATE_DIR) -> str | None:
    """The frontend address of the ``podium dev`` started in this folder, if any."""
    record = read(state_dir)
    return record.address if record else None


def folder_payloads(state_dir: Path = STATE_DIR) -> dict[str, str]:
    """Payload settings of this folder's ``podium dev`` as environment variables."""
    record = read(state_dir)
    found = {}
    if record is not None and record.payload_store:
        found["PODIUM_PAYLOAD_STORE"] = record.payload_store
    if record is not None and record.key_file:
        found["PODIUM_ENCRYPTION_KEY_FILE"] = record.key_file
    return found


def start_time(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, from /proc), or None where /proc does
    not say: with the pid it names one process, never a later one given the same pid."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def alive(pid: int | None, *words: str, started: str | None = None) -> bool:
    """Whether ``pid`` still is the process we recorded: it runs (not a zombie), its
    command line holds every one of ``words`` and, when ``started`` is known, it started
    then. Where /proc cannot tell (macOS), only a process we can signal counts."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: not one podium dev started
        return False
    proc = Path("/proc") / str(pid)
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError):
        return started is None  # no /proc: a recorded start time cannot be checked
    if fields[0] == "Z" or (started is not None and fields[19] != started):
        return False
    return all(word in command for word in words)


SERVER_WORDS = ("temporal", "start-dev")
WORKER_WORDS = ("-m", "podium.workers")
DEV_WORDS = ("podium", "dev")


def leftovers(record: DevRecord) -> list[tuple[str, int]]:
    """``(what, pid)`` of the processes ``record`` names that still run."""
    found = []
    worker_words = (*WORKER_WORDS, record.address)  # its command line names the address
    if record.worker_pid and alive(record.worker_pid, *worker_words, started=record.worker_started):
        found.append(("worker", record.worker_pid))
    port = record.address.rsplit(":", 1)[-1]
    server_words = (*SERVER_WORDS, port)
    if record.server_pid and alive(record.server_pid, *server_words, started=record.server_started):
        found.append((f"Temporal server ({record.address})", record.server_pid))
    return found


def stop_group(pid: int, grace_s: float = 10.0) -> None:
    """SIGTERM the process group ``pid`` leads (started with a new session), SIGKILL it
    after ``grace_s``; return once the process is gone."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not alive(pid):
            return
