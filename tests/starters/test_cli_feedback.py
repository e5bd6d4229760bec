"""What the `podium` command says when things are not as hoped: no server, a cancelled
run, an input too large, a spec name with no runs, a request already decided
(real processes, real server)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import free_port
from podium.starters.launch import start_run
from podium.workflows.state import RunState

from tests.conftest import ROOT
from tests.support.polling import eventually

PODIUM = str(Path(sys.executable).parent / "podium")


def env(**extra: str) -> dict[str, str]:
    drop = ("OPENAI_API_KEY", "TEMPORAL_ADDRESS")
    return {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "PODIUM_USER": "nobody",
        **extra,
    }


async def podium(*args: str, cwd: Path = ROOT, **extra: str) -> tuple[int, str, str]:
    # async: the in-process worker shares this event loop, so don't block it
    proc = await asyncio.create_subprocess_exec(
        PODIUM,
        *args,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(**extra),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


def approval_spec(who: str, **approval) -> dict:
    return {
        "name": f"feedback_{uuid.uuid4().hex[:6]}",
        "agents": {"agents": {"w": {"model": "scripted", "script": [{"output": "ok"}]}}},
        "steps": [
            {"id": "draft", "agent": "w"},
            {"id": "signoff", "approval": {"title": "Sign it", "approvers": [who], **approval}},
        ],
    }


@pytest.mark.parametrize(
    "command",
    [
        [
            "run",
            str(ROOT / "specs/market_entry.yaml"),
            "--input-file",
            str(ROOT / "specs/inputs/market_entry.json"),
        ],
        ["status", "r"],
        ["report", "r"],
        ["stats"],
        ["inbox"],
        ["approve", "r", "q", "--approve"],
        ["resolve", "r", "q", "--skip"],
        ["cancel", "r"],
        ["worker"],
    ],
    ids=lambda c: c[0],
)
async def test_without_a_server_every_command_says_where_it_looked_and_what_to_do(
    command, tmp_path
):
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    code, _, err = await podium(*command, cwd=tmp_path, TEMPORAL_ADDRESS=address)
    assert code == 4, err
    lines = [line for line in err.splitlines() if "WARNING" not in line]  # worker's log
    assert len(lines) == 1, err
    assert f"cannot reach Temporal at {address}" in lines[0]
    assert "podium dev" in lines[0] and "TEMPORAL_ADDRESS" in lines[0] and "--address" in lines[0]
    assert "tonic" not in err and "Traceback" not in err


@pytest.mark.usefixtures("worker")
async def test_wait_says_it_waits_for_a_person_and_a_cancelled_run_is_cancelled(
    address, write_spec
):
    spec = write_spec(approval_spec("ann"))
    run_id = f"feedback-{uuid.uuid4().hex[:8]}"
    proc = await asyncio.create_subprocess_exec(
        PODIUM, "run", str(spec), "--wait", "--id", run_id, "--address", address,
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env(),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []

    async def announced() -> bool:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)  # type: ignore[union-attr]
        seen.append(line.decode())
        return "(this command waits until it is answered" in seen[-1]

    await eventually(announced, "run --wait to announce the wait", timeout=60)
    text = "".join(seen)
    assert "waiting for a person: signoff-1 (Sign it) for ann" in text
    assert f"answer: podium approve {run_id} signoff-1 --approve|--reject --as ann" in text

    code, out, err = await podium(
        "cancel", run_id, "--reason", "wrong customer", "--address", address
    )
    assert code == 0, err
    out_rest, err_rest = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 3, err_rest.decode()
    assert (
        f"run {run_id} was cancelled: wrong customer (podium cancel by nobody)" in err_rest.decode()
    )
    assert ": cancelled — wrong customer" in out_rest.decode()
    assert "failed" not in out_rest.decode()

    code, out, err = await podium("status", run_id, "--address", address)
    assert code == 3, err
    assert f"run {run_id}: cancelled — wrong customer (podium cancel by nobody)" in out


async def test_an_input_over_the_payload_limit_is_refused_before_sending(address, write_spec):
    spec = write_spec(
        {
            "name": "too_big",
            "input": {"type": "object"},
            "agents": {"agents": {"w": {"model": "scripted"}}},
            "steps": [{"id": "read", "agent": "w", "with": {"text": "input.text"}}],
        }
    )
    big = spec.parent / "big.json"
    big.write_text(json.dumps({"text": "x" * (2_600_000)}))
    code, _, err = await podium("run", str(spec), "--input-file", str(big), "--address", address)
    assert code == 2 and "not started" in err, err
    assert "the run's workflow input is 2.5 MB" in err and f"run input from {big}: 2.5 MB" in err
    assert "payload over 2.0 MB" in err and "4.0 MB" in err
    assert "by reference" in err


@pytest.mark.usefixtures("worker")
async def test_stats_for_a_spec_without_runs_says_so_and_names_those_with_runs(
    client, address, write_spec
):
    spec = {
        "name": f"stats_named_{uuid.uuid4().hex[:6]}",
        "agents": {"agents": {"w": {"model": "scripted", "script": [{"output": "ok"}]}}},
        "steps": [{"id": "only", "agent": "w"}],
    }
    handle = await start_run(client, compile_spec(write_spec(spec)), {})
    await handle.result()

    async def listed() -> str | None:
        code, out, err = await podium("stats", "--spec", "typo", "--address", address)
        assert code == 0, err
        return out if spec["name"] in out else None

    out = await eventually(listed, "the run in stats", 20)  # visibility is eventually consistent
    assert out.startswith("no runs of spec 'typo' since ")
    assert "specs with runs then: " in out


@pytest.mark.usefixtures("worker")
async def test_inbox_deadline_has_its_zone_and_a_decided_request_says_by_whom(
    client, address, write_spec
):
    desk = f"desk-{uuid.uuid4().hex[:6]}"
    spec = approval_spec(desk, timeout="1d", on_timeout="reject")
    handle = await start_run(client, compile_spec(write_spec(spec)), {})

    async def opened() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    deadline = (await eventually(opened, "the request to open", 20)).open_requests()[0].deadline
    assert deadline is not None

    async def row() -> str | None:
        code, out, err = await podium("inbox", "--as", desk, "--address", address)
        assert code == 0, err
        return next((line for line in out.splitlines() if line.startswith(handle.id)), None)

    assert f"{deadline:%Y-%m-%d %H:%M} UTC" in await eventually(row, "the run in the inbox", 20)

    code, out, err = await podium(
        "approve", handle.id, "signoff-1", "--approve", "--as", desk, "--address", address
    )
    assert code == 0, err
    await handle.result()  # the approval was the last step: the run has ended
    code, out, err = await podium(
        "approve", handle.id, "signoff-1", "--reject", "--as", "mallory", "--address", address
    )
    assert code == 1
    assert err.startswith(f"refused: request 'signoff-1' is already closed (approve by {desk} at ")
    assert f"run {handle.id} has ended (completed)" in err


@pytest.mark.parametrize("command", [["status", "r"], ["worker"]], ids=lambda c: c[0])
async def test_commands_follow_the_address_podium_dev_recorded_in_this_folder(command, tmp_path):
    from podium.starters import devstate

    gone = f"127.0.0.1:{free_port()}"  # its podium dev was killed along with its server
    devstate.write(devstate.DevRecord(address=gone, dev_pid=0), tmp_path / ".podium")
    code, _, err = await podium(*command, cwd=tmp_path)
    assert code == 4 and f"cannot reach Temporal at {gone}" in err, err
    assert "Traceback" not in err
