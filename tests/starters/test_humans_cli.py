"""`podium inbox / approve / resolve` as a person types them (real processes, real server)."""

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
from podium.starters.launch import start_run
from podium.workflows.state import RunState

from tests.conftest import ROOT
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
PODIUM = str(Path(sys.executable).parent / "podium")


async def podium(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        PODIUM,
        *args,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PODIUM_USER": "nobody"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def waiting(handle) -> None:
    async def asked() -> bool:
        return bool((await handle.query("status", result_type=RunState)).open_requests())

    await eventually(asked, f"{handle.id} to open a request", timeout=20)


async def test_inbox_approve_and_resolve(client, address, write_spec, tmp_path):
    desk, other = f"desk-{uuid.uuid4().hex[:6]}", f"other-{uuid.uuid4().hex[:6]}"
    catalog = {
        "agents": {
            "broken": {
                "model": "scripted",
                "retry": {"max_attempts": 1},
                "output": {
                    "type": "object",
                    "required": ["n"],
                    "properties": {"n": {"type": "integer"}},
                },
                "faults": {"fail_times": 9, "error": "ProviderServerError"},
            }
        }
    }

    def approval_spec(who: str) -> dict:
        return {
            "name": "cli_humans",
            "agents": "agents.yaml",
            "steps": [
                {"id": "signoff", "approval": {"title": "Sign {{ input.n }}", "approvers": [who]}}
            ],
        }

    first = await start_run(
        client, compile_spec(write_spec(approval_spec(desk), catalog, "a.yaml")), {"n": 1}
    )
    second = await start_run(
        client, compile_spec(write_spec(approval_spec(desk), catalog, "b.yaml")), {"n": 2}
    )
    third = await start_run(
        client, compile_spec(write_spec(approval_spec(other), catalog, "c.yaml")), {"n": 3}
    )
    failing = {
        "name": "cli_fail",
        "agents": "agents.yaml",
        "steps": [{"id": "calc", "agent": "broken", "on_error": "escalate", "escalate_to": [desk]}],
    }
    fourth = await start_run(client, compile_spec(write_spec(failing, catalog, "d.yaml")), {})
    for handle in (first, second, third, fourth):
        await waiting(handle)

    async def three_rows() -> tuple[str, list[str]] | None:  # visibility is eventually consistent
        code, out, err = await podium("inbox", "--as", desk, "--address", address)
        assert code == 0, err
        rows = [line for line in out.splitlines()[1:] if line.strip()]
        return (out, rows) if len(rows) == 3 else None

    out, rows = await eventually(three_rows, "three rows in the inbox", timeout=20, every=0.3)
    assert sorted(r.split()[0] for r in rows) == sorted([first.id, second.id, fourth.id])
    assert any("Sign 1" in r for r in rows) and any("calc-1" in r for r in rows)
    assert third.id not in out

    code, out, err = await podium(
        "approve", first.id, "signoff-1", "--reject", "--as", "mallory", "--address", address
    )
    assert code == 1 and f"refused: 'mallory' may not decide 'signoff-1'; it waits on {desk}" in err
    code, out, err = await podium(
        "approve",
        first.id,
        "signoff-1",
        "--approve",
        "--as",
        desk,
        "--comment",
        "looks right",
        "--address",
        address,
    )
    assert code == 0, err
    assert f"recorded: signoff-1 → approve by {desk}" in out and "looks right" in out
    assert (await first.result()).output["approved"] is True

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"n": "seven"}))
    code, out, err = await podium(
        "resolve", fourth.id, "calc-1", "--supply", str(bad), "--as", desk, "--address", address
    )
    assert code == 1 and "n: 'seven' is not of type 'integer'" in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"n": 7}))
    code, out, err = await podium(
        "resolve", fourth.id, "calc-1", "--supply", str(good), "--as", desk, "--address", address
    )
    assert code == 0, err
    assert (await fourth.result()).output == {"n": 7}

    code, out, err = await podium("resolve", second.id, "signoff-1", "--skip", "--abort")
    assert code == 2 and "exactly one of" in err
    for handle, who in ((second, desk), (third, other)):
        code, _, err = await podium(
            "approve", handle.id, "signoff-1", "--reject", "--as", who, "--address", address
        )
        assert code == 0, err
    code, out, err = await podium(
        "approve", second.id, "signoff-1", "--approve", "--as", desk, "--address", address
    )
    assert code == 1 and "refused" in err


async def test_status_shows_steps_and_what_the_run_waits_for(client, address, write_spec):
    spec = {
        "name": "status_demo",
        "agents": {"agents": {"w": {"model": "scripted", "script": [{"output": "drafted"}]}}},
        "steps": [
            {"id": "draft", "agent": "w"},
            {"id": "signoff", "approval": {"title": "Sign the draft", "approvers": ["ann"]}},
        ],
    }
    handle = await start_run(client, compile_spec(write_spec(spec)), {})
    await waiting(handle)
    code, out, err = await podium("status", handle.id, "--address", address)
    assert code == 0, err
    assert f"status_demo run {handle.id}: waiting" in out
    assert "draft" in out and "→ drafted" in out
    assert "waiting: signoff-1 (Sign the draft) for ann" in out
    await podium(
        "approve", handle.id, "signoff-1", "--approve", "--as", "ann", "--address", address
    )
    await handle.result()
    code, out, _ = await podium("status", handle.id, "--address", address)
    assert code == 0 and ": completed" in out and "waiting:" not in out


async def test_resolve_raises_a_budget_from_the_command_line(client, address, write_spec):
    catalog = {
        "agents": {
            "pricey": {
                "model": "scripted",
                "price": {"input_per_mtok": 10000, "output_per_mtok": 10000},
                "max_output_tokens": 100,
                "script": [{"output": "done"}],
            }
        }
    }
    spec = {
        "name": "budget_cli",
        "agents": "agents.yaml",
        "budget": {"usd": 0.0001, "on_exceed": "escalate", "escalate_to": ["cfo"]},
        "steps": [{"id": "work", "agent": "pricey"}],
    }
    handle = await start_run(client, compile_spec(write_spec(spec, catalog)), {})
    await waiting(handle)
    code, out, err = await podium("status", handle.id, "--address", address)
    assert "work-1" in out and "budget" in out.lower()
    code, _, err = await podium(
        "resolve",
        handle.id,
        "work-1",
        "--raise-usd",
        "0.00001",
        "--as",
        "cfo",
        "--address",
        address,
    )
    assert code == 1 and "below what the waiting call needs" in err
    code, out, err = await podium(
        "resolve", handle.id, "work-1", "--raise-usd", "5", "--as", "cfo", "--address", address
    )
    assert code == 0 and "work-1 → raise by cfo" in out, err
    result = await handle.result()
    assert result.output == "done" and result.state.budget.usd == 5
    code, out, err = await podium("report", handle.id, "--address", address)
    assert code == 0, err
    assert "## Budget" in out and "- usd limit 0.0001 → 5.0 by cfo (update)" in out
    code, out, err = await podium("status", handle.id, "--address", address)
    assert "budget $5 (escalate on exceed): spent $" in out and "in 1 calls" in out


async def test_inbox_and_show_print_the_exact_tool_call_to_approve(client, address):
    """asean_quote's send_quote waits for the deal desk: both commands show the call."""
    from tests.support.scenario_kit import open_request

    plan = compile_spec(ROOT / "specs" / "asean_quote.yaml", offline=True)
    run_input = json.loads((ROOT / "specs" / "inputs" / "asean_quote.json").read_text())
    handle = await start_run(client, plan, run_input)
    request_id = await open_request(handle)
    arguments = {"customer": "Kopi Pay", "market": "TH", "total_local": 45196.8}
    [request] = (await handle.query("status", result_type=RunState)).open_requests()
    assert request.tool_call is not None and request.tool_call.arguments == arguments
    pretty = json.dumps(arguments, indent=2).splitlines()  # the exact call, as people read it

    async def listed() -> str | None:  # visibility is eventually consistent
        code, out, err = await podium("inbox", "--as", "deal-desk", "--address", address)
        assert code == 0, err
        return out if handle.id in out else None

    out = await eventually(listed, "the run in deal-desk's inbox", timeout=20, every=0.3)
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(handle.id))
    assert "quoter wants to call send_quote" in lines[row]
    assert lines[row + 1] == "    call send_quote (agent quoter, turn 2) with arguments:"
    assert lines[row + 2 : row + 7] == ["      " + line for line in pretty]

    code, out, err = await podium("show", handle.id, request_id, "--address", address)
    assert code == 0, err
    assert f"{request_id}: approval request of run {handle.id} (asean_quote), step quote" in out
    assert "call send_quote (agent quoter, turn 2) with arguments:" in out
    assert "\n".join("  " + line for line in pretty) in out  # whole, not cut
    assert "waiting on:  deal-desk until " in out
    assert ": rejected by default — send_quote is not called" in out
    assert f"podium approve {handle.id} {request_id} --approve --as deal-desk" in out

    code, out, err = await podium("show", handle.id, "nope-1", "--address", address)
    assert code == 2 and out == ""
    assert err == (
        f"podium show: run {handle.id} has no request 'nope-1'; its requests: {request_id}\n"
    )
    code, out, err = await podium("show", "no-such-run", request_id, "--address", address)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "podium show: no run 'no-such-run'" in err

    code, _, err = await podium(
        "approve", handle.id, request_id, "--approve", "--as", "deal-desk", "--address", address
    )
    assert code == 0, err
    assert (await handle.result()).output["sent"] is True
    code, out, err = await podium("show", handle.id, request_id, "--address", address)
    assert code == 0 and "decided:     approve by deal-desk" in out and "answer with" not in out
