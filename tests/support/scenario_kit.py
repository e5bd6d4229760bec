"""What the golden-history scenarios share: their registry, the scenario decorator and the
small steps every scenario takes (write a spec, wait for a request, wait for the end)."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from temporalio.client import Client, WorkflowHandle

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from podium.compiler.spec_compiler import compile_spec  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402
from podium.workflows.humans import DecisionInput  # noqa: E402
from podium.workflows.state import RunState  # noqa: E402

from tests.support.polling import eventually  # noqa: E402

HTTP_PROVIDER = "replay-http"

Scenario = Callable[[Client, Path, str], Awaitable[list[str]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    """Register a scenario under its function name."""
    SCENARIOS[fn.__name__] = fn
    return fn


def write(folder: Path, spec: dict[str, Any], catalog: dict[str, Any] | None = None) -> Path:
    """The spec (and its agents.yaml) in ``folder``."""
    if catalog is not None:
        (folder / "agents.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


async def open_request(handle: WorkflowHandle[Any, Any], timeout_s: float = 30) -> str:
    """The id of the run's first open request, once there is one."""

    async def first_open() -> str | None:
        state = await handle.query("status", result_type=RunState)
        return state.open_requests()[0].id if state.open_requests() else None

    return await eventually(first_open, f"{handle.id} to ask someone", timeout_s)


async def finish(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait for the run to end, however it ends."""
    try:
        await handle.result()
    except Exception:  # noqa: BLE001 - failed and cancelled runs are recorded too
        pass


async def sample(client: Client, name: str, run_input: dict[str, Any] | None = None) -> str:
    plan = compile_spec(ROOT / "specs" / f"{name}.yaml", offline=True)
    if run_input is None:
        run_input = json.loads((ROOT / "specs" / "inputs" / f"{name}.json").read_text())
    handle = await start_run(client, plan, run_input)
    if name == "deal_review":  # a high-risk deal: the deal desk approves
        request = await open_request(handle)
        decision = DecisionInput(request_id=request, outcome="approve", by="deal-desk")
        await handle.execute_update("decide", decision)
    await finish(handle)
    return handle.id


SCRIPTED = {"model": "scripted", "script": [{"output": {"ok": True}}]}
PRICED = {**SCRIPTED, "price": {"input_per_mtok": 1000, "output_per_mtok": 2000}}
ECHO = {"model": "function:tests.support.agents:echo"}
