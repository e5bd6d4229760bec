"""A missing encryption key, wherever it is missing, is one line that names the key and
the variable to set — and nothing is lost (real server, real `podium` commands):

- a client without the key: `status`, `report`, `inbox` name it (exit 2); `approve`
  still decides and says whether the run recorded or refused the decision;
- a worker without the key: `run --wait` and `status` say the run is stuck and why
  instead of hanging, the worker logs one line, and the run goes on once a worker has it;
- `podium keygen` ids are unique, and the documented rotation keeps old runs readable.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from podium.activities.payloads.codec import KEY_ID
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings, from_environment, new_key
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import run as run_command
from podium.starters.commands import status
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client, WorkflowHandle

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.polling import eventually

PODIUM = str(Path(sys.executable).parent / "podium")
WORKER_LOG = "temporalio.worker._workflow"
AGENT = {"agents": {"w": {"model": "scripted", "script": [{"output": "ok"}]}}}


class Pipe(io.StringIO):
    """What `podium run --wait | tee log` writes to: no terminal."""

    def isatty(self) -> bool:
        return False


def keys(*entries: str) -> PayloadSettings:
    return from_environment({"PODIUM_ENCRYPTION_KEYS": ",".join(entries)})


async def connect(address: str, settings: PayloadSettings) -> Client:
    converter = data_converter(settings)
    return await Client.connect(address, namespace=ISOLATED_NAMESPACE, data_converter=converter)


@asynccontextmanager
async def workers(address: str, settings: PayloadSettings) -> AsyncIterator[None]:
    """Podium's workers with these keys, in this process, on the isolated namespace."""
    built = build_workers(await connect(address, settings), WorkerOptions())
    tasks = [asyncio.create_task(w.run()) for w in built]
    try:
        yield
    finally:
        await asyncio.gather(*(w.shutdown() for w in built), return_exceptions=True)
        for task in tasks:
            task.cancel()


async def podium(cwd: Path, address: str, *args: str, keys: str = "") -> tuple[int, str, str]:
    """``podium ARGS --address …`` on the isolated namespace with ``keys`` as its only keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env.update(TEMPORAL_NAMESPACE=ISOLATED_NAMESPACE, PODIUM_USER="nobody")
    if keys:
        env["PODIUM_ENCRYPTION_KEYS"] = keys
    where = () if args[0] == "keygen" else ("--address", address)
    proc = await asyncio.create_subprocess_exec(
        PODIUM, *args, *where, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


def approval_spec(write_spec: Callable[..., Path]) -> Path:
    return write_spec(
        {
            "name": "keys_approval",
            "agents": AGENT,
            "steps": [
                {"id": "draft", "agent": "w"},
                {"id": "signoff", "approval": {"title": "Sign", "approvers": ["desk"]}},
            ],
        }
    )


def one_step_spec(write_spec: Callable[..., Path]) -> Path:
    return write_spec(
        {"name": "keys_one_step", "agents": AGENT, "steps": [{"id": "a", "agent": "w"}]}
    )


async def input_key(handle: WorkflowHandle[Any, Any]) -> str:
    """The key id on the run's input payload, as the server holds it."""
    async for event in handle.fetch_history_events():
        payload = event.workflow_execution_started_event_attributes.input.payloads[0]
        return payload.metadata[KEY_ID].decode()
    raise AssertionError("no history")


async def test_a_client_without_the_key_is_told_which_and_its_decision_still_counts(
    address, write_spec, tmp_path
):
    key = new_key()
    key_id = key.split(":")[0]
    async with workers(address, keys(key)):
        client = await connect(address, keys(key))
        handle = await start_run(client, compile_spec(approval_spec(write_spec)), {})

        async def open_request() -> bool:
            state = await handle.query("status", result_type=RunState)
            return bool(state.open_requests())

        await eventually(open_request, "the approval request")
        missing = (
            f"its data is encrypted with key '{key_id}', which this client does not have "
            f"(its keys: none); set PODIUM_ENCRYPTION_KEYS={key_id}:<base64 key> "
            "(or PODIUM_ENCRYPTION_KEY_FILE) on this client"
        )
        for command in (("status", handle.id), ("report", handle.id)):
            code, out, err = await podium(tmp_path, address, *command)
            assert (code, out) == (2, "")
            assert err == f"podium: cannot read run {handle.id}: {missing}\n"
        code, _, err = await podium(tmp_path, address, "inbox")
        assert code == 2 and "Traceback" not in err
        assert f"podium inbox: cannot read run {handle.id}, waiting for people: {missing}" in err

        # a decision the run refuses is reported as refused, though its reason is unreadable
        code, out, err = await podium(
            tmp_path, address, "approve", handle.id, "signoff-1", "--approve", "--as", "eve"
        )
        assert (code, out) == (1, "")
        assert err == (
            "refused: signoff-1 → approve by eve was not recorded (the reason cannot be "
            f"shown: it is encrypted with key '{key_id}', which this client does not have "
            f"(its keys: none); set PODIUM_ENCRYPTION_KEYS={key_id}:<base64 key> "
            "(or PODIUM_ENCRYPTION_KEY_FILE) on this client)\n"
        )
        # one it records is reported as recorded, and it is: the run goes on with it
        code, out, err = await podium(
            tmp_path, address, "approve", handle.id, "signoff-1", "--approve", "--as", "desk"
        )
        assert (code, err) == (0, "")
        assert out.startswith(
            "recorded: signoff-1 → approve by desk (the run's answer cannot be shown: it is "
            f"encrypted with key '{key_id}', which this client does not have"
        )
        result = await client.get_workflow_handle(handle.id, result_type=RunResult).result()
        assert result.state.status == "completed"
        [request] = result.state.requests
        assert request.status == "decided" and request.decision is not None
        assert (request.decision.outcome, request.decision.by) == ("approve", "desk")


@pytest.mark.parametrize("worker_keys", ["none", "another key"])
async def test_a_worker_without_the_key_is_named_and_the_run_waits_for_one(
    address, write_spec, caplog, worker_keys
):
    """A worker with another key also encrypts its failure with it: the client, unable to
    read that, still names the key from the run's input."""
    caplog.set_level(logging.ERROR, logger=WORKER_LOG)
    key = new_key()
    key_id = key.split(":")[0]
    client = await connect(address, keys(key))
    out = Pipe()
    lacking = PayloadSettings() if worker_keys == "none" else keys(new_key())
    async with workers(address, lacking):  # a worker never given the key
        waiting = asyncio.create_task(
            run_command.main(client, spec=str(one_step_spec(write_spec)), wait=True, out=out)
        )

        async def said_why() -> bool:
            return "is stuck" in out.getvalue()

        await eventually(said_why, "run --wait to say why the run is stuck")
        started = re.search(r"^started keys_one_step run (\S+)$", out.getvalue(), re.M)
        assert started is not None
        run_id = started[1]
        stuck = (
            f"run {run_id} is stuck: the workers cannot decode its data, which is encrypted "
            f"with key '{key_id}'; add that key to PODIUM_ENCRYPTION_KEYS (or "
            "PODIUM_ENCRYPTION_KEY_FILE) on the workers, as on this client (the run waits and "
            "loses nothing until one has it)"
        )
        assert f"\n{stuck}\n  (this command waits until the run goes on;" in out.getvalue()
        assert not waiting.done()

        shown = Pipe()
        assert await status.main(client, run_id, out=shown) == 1
        assert "web UI:" in shown.getvalue()
        watched = Pipe()  # `podium status --watch` says it too, and keeps watching
        watching = asyncio.create_task(
            status.main(client, run_id, watch=True, out=watched, interval_s=0.2)
        )

        async def watch_says_why() -> bool:
            return watched.getvalue() == f"{stuck}\n"

        await eventually(watch_says_why, "status --watch to say why the run is stuck")

        logged = [r for r in caplog.records if r.name == WORKER_LOG]
        assert logged and all(r.exc_info is None for r in logged)  # no traceback
        assert f"this worker cannot decode its data: it is encrypted with key '{key_id}'" in (
            logged[0].getMessage()
        )
        assert "PODIUM_ENCRYPTION_KEYS" in logged[0].getMessage()

    async with workers(address, keys(key)):  # a worker with the key picks the run up
        assert await asyncio.wait_for(waiting, timeout=120) == 0
        assert await asyncio.wait_for(watching, timeout=60) == 0
    assert "output: " in out.getvalue()
    assert f"keys_one_step run {run_id}: completed" in watched.getvalue()


async def test_key_ids_are_unique_and_the_documented_rotation_keeps_old_runs_readable(
    address, write_spec, tmp_path
):
    made = [(await podium(tmp_path, address, "keygen"))[1].strip() for _ in range(2)]
    old, new = made
    old_id, new_id = old.split(":")[0], new.split(":")[0]
    assert old_id != new_id
    assert all(re.fullmatch(r"k\d{8}-[0-9a-f]{6}", i) for i in (old_id, new_id))
    spec = compile_spec(one_step_spec(write_spec))

    async with workers(address, keys(old)):  # before: the old key only
        before = await start_run(await connect(address, keys(old)), spec, {})
        await before.result()
    assert await input_key(before) == old_id

    async with workers(address, keys(new, old)):  # rotated: the new key first, the old kept
        rotated = await connect(address, keys(new, old))
        code, out, err = await podium(tmp_path, address, "report", before.id, keys=f"{new},{old}")
        assert code == 0 and err == "" and "keys_one_step" in out  # old data reads
        after = await start_run(rotated, spec, {})
        assert (await after.result()).state.status == "completed"  # new data is written
    assert await input_key(after) == new_id

    # why the old key stays listed: without it, the old run is unreadable, by name
    code, _, err = await podium(tmp_path, address, "report", before.id, keys=new)
    assert code == 2
    assert (
        f"encrypted with key '{old_id}', which this client does not have (its keys: {new_id})"
        in err
    )
