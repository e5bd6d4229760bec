"""Compensation (saga): undo completed side-effecting steps newest first."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from tests.conftest import ROOT
from tests.support.fault_server import fault_server
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
SPEC = ROOT / "specs" / "vendor_onboarding.yaml"


async def test_legal_rejection_undoes_budget_then_account(client):
    handle = await start_run(client, compile_spec(SPEC), {"vendor": "Shady Ltd", "amount_usd": 5})
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert "legal rejected Shady Ltd: on the sanctions list" in info.value.cause.message
    state = await handle.query("status", result_type=RunState)
    assert [(c.step, c.agent, c.status) for c in state.compensations] == [
        ("budget", "budget-releaser", "completed"),
        ("account", "account-closer", "completed"),
    ]
    assert state.compensations[0].output == {"released": "RES-SHADY LTD"}
    assert state.compensations[1].output == {"closed": "ACC-SHADY LTD"}
    assert state.status == "failed"


async def test_a_good_vendor_is_onboarded_without_compensation(client):
    run_input = json.loads((ROOT / "specs" / "inputs" / "vendor_onboarding.json").read_text())
    result = await (await start_run(client, compile_spec(SPEC), run_input)).result()
    assert result.output == {
        "account": "ACC-ACME SUPPLIES",
        "reservation": "RES-ACME SUPPLIES",
        "contract": "sent to Acme Supplies",
    }
    assert result.state.compensations == []


async def test_cancel_compensates_too(client, address, write_spec, tmp_path):
    catalog = (
        (ROOT / "agents" / "vendors.yaml").read_text()
        + """
  slow-check:
    model: "function:tests.support.agents:record_step"
    heartbeat: 1s
"""
    )
    spec = {
        "name": "cancel_me",
        "agents": "agents.yaml",
        "steps": [
            {
                "id": "account",
                "agent": "account-creator",
                "with": {"vendor": "'V'"},
                "compensate": {
                    "agent": "account-closer",
                    "with": {"account_id": "steps.account.output.account_id"},
                },
            },
            {
                "id": "wait",
                "agent": "slow-check",
                "with": {"step": "'wait'", "log": "input.log", "seconds": 30},
            },
        ],
    }
    log = tmp_path / "log"
    handle = await start_run(client, compile_spec(write_spec(spec, catalog)), {"log": str(log)})

    async def waiting() -> bool:
        return log.exists() and "start wait" in log.read_text()

    await eventually(waiting, "the 'wait' step to start", timeout=20)
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "podium"),
        "cancel",
        handle.id,
        "--address",
        address,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert "cancellation requested" in out.decode()

    async def ended() -> bool:
        return (await handle.describe()).status != WorkflowExecutionStatus.RUNNING

    await eventually(ended, "the cancelled run to end", timeout=30)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    state = await handle.query("status", result_type=RunState)
    assert [(c.step, c.status) for c in state.compensations] == [("account", "completed")]
    assert state.status == "cancelled" and state.step("wait").status == "cancelled"


def test_compensate_needs_declared_side_effects(write_spec):
    catalog = {"agents": {"reader": {"model": "scripted"}, "undo": {"model": "scripted"}}}
    spec = {
        "name": "x",
        "agents": "agents.yaml",
        "steps": [{"id": "read", "agent": "reader", "compensate": {"agent": "undo"}}],
    }
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec, catalog))
    [problem] = info.value.problems
    assert "declares no side effects" in problem.message and "side_effects: true" in problem.hint


async def test_each_map_items_undo_has_its_own_idempotency_key(client, write_spec):
    with fault_server(answer={"undone": True}) as llm:
        catalog = {
            "providers": {"mock": {"base_url": llm.url, "circuit": False}},
            "agents": {
                "booker": {"model": "function:tests.support.agents:echo", "side_effects": True},
                "unbooker": {"model": "mock:m"},
                "failing": {
                    "model": "scripted",
                    "retry": {"max_attempts": 1},
                    "script": [{"fail": "no"}],
                },
            },
        }
        spec = {
            "name": "undo_items",
            "agents": "agents.yaml",
            "steps": [
                {
                    "id": "books",
                    "map": {"over": "input.items", "as": "x"},
                    "step": {
                        "agent": "booker",
                        "with": {"value": "vars.x"},
                        # reads the item's own booking, as it was when that item finished
                        "compensate": {
                            "agent": "unbooker",
                            "with": {"x": "steps.books_item.output"},
                        },
                    },
                },
                {"id": "boom", "agent": "failing"},
            ],
        }
        handle = await start_run(
            client, compile_spec(write_spec(spec, catalog)), {"items": [1, 2, 3]}
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        keys = [e.key for e in llm.entries()]
        bodies = {e.body_sha for e in llm.entries()}
    assert len(keys) == 3 and len(set(keys)) == 3, f"undos shared a key: {keys}"
    assert len(bodies) == 3, "the undos did not each read their own item's booking"
    assert all(k.startswith(f"{handle.id}/") for k in keys)
