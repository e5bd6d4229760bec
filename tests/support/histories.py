"""Golden histories: runs of every sample spec and of each step kind and mechanism,
recorded on a real dev server and replayed by ``tests/test_replay.py``.

Re-record them (after a change that is *meant* to change histories of new runs — and
only with ``workflow.patched`` guarding what old runs did, see docs/internals.md):

    make histories            # = .venv/bin/python -m tests.support.histories [NAME …]

Each scenario drives one run to its end (deciding for people where the run asks) and
names the workflows to keep: the run, its children (map batches, sub-workflows) and,
where one took part, a provider's limiter. One file per scenario in tests/histories/.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from temporalio.client import Client, WorkflowHandle

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from podium.activities.contracts import BUILTIN_PROVIDERS, ProviderConfig  # noqa: E402
from podium.starters.devserver import local_environment  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402
from podium.workers.worker import WorkerOptions, build_workers  # noqa: E402
from podium.workflows.compiler import compile_spec  # noqa: E402
from podium.workflows.humans import BudgetRaise, DecisionInput  # noqa: E402
from podium.workflows.limiter import limiter_id  # noqa: E402
from podium.workflows.state import RunState  # noqa: E402

from tests.support.fault_server import fault_server  # noqa: E402

HISTORIES = ROOT / "tests" / "histories"
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
    deadline = time.monotonic() + timeout_s
    while True:
        state = await handle.query("status", result_type=RunState)
        if state.open_requests():
            return state.open_requests()[0].id
        if time.monotonic() > deadline:
            raise TimeoutError(f"{handle.id} asked nobody within {timeout_s}s")
        await asyncio.sleep(0.1)


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


@scenario
async def sample_market_entry(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "market_entry")]


@scenario
async def sample_deal_review(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "deal_review")]


@scenario
async def sample_support_triage(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "support_triage")]


@scenario
async def sample_asean_compliance(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "asean_compliance")]


@scenario
async def sample_vendor_onboarding(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "vendor_onboarding")]


@scenario
async def saga_on_failure(client: Client, folder: Path, url: str) -> list[str]:
    return [await sample(client, "vendor_onboarding", {"vendor": "Shady Ltd", "amount_usd": 5})]


SCRIPTED = {"model": "scripted", "script": [{"output": {"ok": True}}]}


@scenario
async def approval_escalation(client: Client, folder: Path, url: str) -> list[str]:
    """Nobody at L1 answers; the request escalates to the CFO, who approves by Signal."""
    spec = {
        "name": "escalating",
        "agents": {"agents": {"w": SCRIPTED}},
        "steps": [
            {"id": "draft", "agent": "w"},
            {
                "id": "signoff",
                "approval": {
                    "title": "Sign {{ input.what }}",
                    "approvers": ["deal-desk"],
                    "escalate": [{"to": ["cfo"], "after": "1s"}],
                    "timeout": "1h",
                    "on_timeout": "reject",
                },
            },
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"what": "it"})
    request = await open_request(handle)
    deadline = time.monotonic() + 30
    while "cfo" not in (await handle.query("status", result_type=RunState)).requests[0].approvers:
        assert time.monotonic() < deadline, "no escalation"
        await asyncio.sleep(0.1)
    await handle.signal(
        "decision", DecisionInput(request_id=request, outcome="approve", by="cfo", comment="ok")
    )
    await finish(handle)
    return [handle.id]


@scenario
async def failure_escalation(client: Client, folder: Path, url: str) -> list[str]:
    """A failing step goes to a person, who retries it with edited inputs."""
    picky = {"model": "function:tests.support.agents:picky", "retry": {"max_attempts": 1}}
    spec = {
        "name": "hand_over",
        "agents": {"agents": {"picky": picky}},
        "steps": [
            {
                "id": "p",
                "agent": "picky",
                "with": {"x": "'bad'"},
                "on_error": "escalate",
                "escalate_to": ["ops"],
            }
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    request = await open_request(handle)
    decision = DecisionInput(request_id=request, outcome="retry", by="ops", inputs={"x": "good"})
    await handle.execute_update("decide", decision)
    await finish(handle)
    return [handle.id]


PRICED = {**SCRIPTED, "price": {"input_per_mtok": 1000, "output_per_mtok": 2000}}


@scenario
async def budget_request(client: Client, folder: Path, url: str) -> list[str]:
    """The budget runs out; the CFO raises it."""
    spec = {
        "name": "budgeted",
        "agents": {"agents": {"a": PRICED}},
        "budget": {"tokens": 150, "on_exceed": "escalate", "escalate_to": ["cfo"]},
        "steps": [{"id": s, "agent": "a"} for s in ("one", "two", "three")],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    request = await open_request(handle)
    raised = DecisionInput(
        request_id=request, outcome="raise", by="cfo", budget=BudgetRaise(tokens=100_000)
    )
    await handle.execute_update("decide", raised)
    await finish(handle)
    return [handle.id]


@scenario
async def deadline_request(client: Client, folder: Path, url: str) -> list[str]:
    """A step misses its deadline; ops lets it go on."""
    slow = {**SCRIPTED, "latency": "2s"}
    spec = {
        "name": "late",
        "agents": {"agents": {"slow": slow, "quick": SCRIPTED}},
        "steps": [
            {
                "id": "late",
                "agent": "slow",
                "deadline": {"after": "500ms", "on_breach": "escalate", "escalate_to": ["ops"]},
            },
            {"id": "next", "agent": "quick"},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    request = await open_request(handle)
    await handle.execute_update(
        "decide", DecisionInput(request_id=request, outcome="continue", by="ops")
    )
    await finish(handle)
    return [handle.id]


@scenario
async def saga_on_cancel(client: Client, folder: Path, url: str) -> list[str]:
    """Cancelled while its second step runs: the first is undone."""
    maker = {**SCRIPTED, "side_effects": True}
    slow = {**SCRIPTED, "latency": "30s", "heartbeat": "1s"}
    spec = {
        "name": "cancel_me",
        "agents": {"agents": {"maker": maker, "undoer": SCRIPTED, "slow": slow}},
        "steps": [
            {"id": "make", "agent": "maker", "compensate": {"agent": "undoer"}},
            {"id": "wait", "agent": "slow"},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    deadline = time.monotonic() + 30
    while "wait" not in (await handle.query("status", result_type=RunState)).current:
        assert time.monotonic() < deadline, "never reached the slow step"
        await asyncio.sleep(0.1)
    await handle.cancel()
    await finish(handle)
    return [handle.id]


ECHO = {"model": "function:tests.support.agents:echo"}


@scenario
async def map_batches(client: Client, folder: Path, url: str) -> list[str]:
    """A map whose items run in batch child workflows."""
    spec = {
        "name": "batched",
        "agents": {"agents": {"echo": ECHO}},
        "steps": [
            {
                "id": "each",
                "map": {"over": "input.items", "max_concurrency": 2, "batch_size": 2},
                "step": {"agent": "echo", "with": {"value": "vars.item"}},
            }
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"items": [1, 2, 3, 4, 5]})
    await finish(handle)
    return [handle.id]


@scenario
async def sub_workflow(client: Client, folder: Path, url: str) -> list[str]:
    """A spec calling another spec as a child."""
    (folder / "agents.yaml").write_text(yaml.safe_dump({"agents": {"echo": ECHO}}))
    child = {
        "name": "child",
        "agents": "agents.yaml",
        "input": {"type": "object", "required": ["v"]},
        "steps": [{"id": "e", "agent": "echo", "with": {"value": "input.v"}}],
    }
    write(folder, child)
    spec = {
        "name": "parent",
        "agents": "agents.yaml",
        "steps": [
            {"id": "sub", "workflow": "child.yaml", "with": {"v": "input.value"}},
            {"id": "after", "agent": "echo", "with": {"value": "steps.sub.output"}},
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"value": 42})
    await finish(handle)
    return [handle.id]


@scenario
async def retries_repair_fallback(client: Client, folder: Path, url: str) -> list[str]:
    """Transient failures retried on timers, a repair round, then a fallback."""
    schema = {"type": "object", "required": ["ok"]}
    fast = {"initial_interval": "100ms", "max_interval": "200ms", "max_attempts": 3}
    catalog = {
        "agents": {
            "shaky": {
                **SCRIPTED,
                "faults": {"fail_times": 2, "error": "ProviderRateLimited"},
                "retry": fast,
            },
            "sloppy": {
                "model": "scripted",
                "output": schema,
                "script": [{"output": {"nope": 1}}],
                "repair_attempts": 1,
                "fallback": ["tidy"],
            },
            "tidy": {"model": "scripted", "output": schema, "script": [{"output": {"ok": 1}}]},
        }
    }
    spec = {
        "name": "recovering",
        "agents": catalog,
        "steps": [{"id": "third_time", "agent": "shaky"}, {"id": "fixed", "agent": "sloppy"}],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id]


@scenario
async def parallel_any_route_refine(client: Client, folder: Path, url: str) -> list[str]:
    """join: any (the loser is cancelled), a route, a refine loop."""
    slow = {**SCRIPTED, "latency": "5s", "heartbeat": "1s"}
    review = {"model": "scripted", "script": [{"output": {"accepted": True, "notes": "fine"}}]}
    spec = {
        "name": "shapes",
        "agents": {"agents": {"fast": SCRIPTED, "slow": slow, "w": SCRIPTED, "r": review}},
        "steps": [
            {
                "id": "race",
                "parallel": [{"id": "a", "agent": "fast"}, {"id": "b", "agent": "slow"}],
                "join": "any",
            },
            {
                "id": "pick",
                "route": {
                    "on": "input.kind",
                    "cases": {"x": {"agent": "fast"}},
                    "default": {"agent": "w"},
                },
            },
            {
                "id": "polish",
                "refine": {
                    "producer": {"agent": "w"},
                    "reviewer": {"agent": "r"},
                    "until": "vars.review.accepted",
                    "max_rounds": 2,
                },
            },
        ],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {"kind": "x"})
    await finish(handle)
    return [handle.id]


@scenario
async def rate_limited(client: Client, folder: Path, url: str) -> list[str]:
    """Calls to an HTTP provider booked through its limiter workflow."""
    catalog = {
        "providers": {
            HTTP_PROVIDER: {"base_url": url, "requests_per_second": 5, "tokens_per_minute": 60000}
        },
        "agents": {"h": {"model": f"{HTTP_PROVIDER}:m"}},
    }
    spec = {
        "name": "limited",
        "agents": catalog,
        "steps": [{"id": "p", "parallel": [{"id": f"c{i}", "agent": "h"} for i in range(3)]}],
    }
    handle = await start_run(client, compile_spec(write(folder, spec)), {})
    await finish(handle)
    return [handle.id, limiter_id(HTTP_PROVIDER)]


@scenario
async def goto_loop(client: Client, folder: Path, url: str) -> list[str]:
    """An answer sends the run back twice (``goto``), then on."""
    catalog = {
        "agents": {
            "writer": {"model": "function:tests.support.agents:echo"},
            "reviewer": {"model": "function:tests.support.agents:counting_reviewer"},
        }
    }
    spec = {
        "name": "looping",
        "agents": catalog,
        "steps": [
            {"id": "write", "agent": "writer", "with": {"value": "steps.review.output.round"}},
            {
                "id": "review",
                "agent": "reviewer",
                "with": {"log": "input.log", "rounds": 3, "back": "'write'"},
                "goto": {"to": ["write", "end"], "max": 3},
            },
            {"id": "publish", "agent": "writer", "with": {"value": "steps.write.output"}},
        ],
    }
    log = folder / "reviews.log"
    handle = await start_run(client, compile_spec(write(folder, spec)), {"log": str(log)})
    await finish(handle)
    return [handle.id]


async def children(client: Client, workflow_id: str) -> list[str]:
    """Ids of the child workflows ``workflow_id`` started, recursively."""
    found: list[str] = []
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
            child = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
            found += [child, *await children(client, child)]
    return found


async def record(names: list[str]) -> None:
    """Run the named scenarios (all by default) and write their histories."""
    env = await local_environment()
    client = env.client
    HISTORIES.mkdir(exist_ok=True)
    with fault_server() as llm, tempfile.TemporaryDirectory() as tmp:
        http = ProviderConfig(name=HTTP_PROVIDER, kind="openai", base_url=llm.url)
        options = WorkerOptions(providers=[*BUILTIN_PROVIDERS.values(), http])
        workers = build_workers(client, options)
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            for name in names or list(SCENARIOS):
                folder = Path(tmp) / name
                folder.mkdir()
                ids = await asyncio.wait_for(SCENARIOS[name](client, folder, llm.url), 120)
                keep = [ids[0], *await children(client, ids[0]), *ids[1:]]
                entries = []
                for workflow_id in keep:
                    history = await client.get_workflow_handle(workflow_id).fetch_history()
                    entries.append(
                        {"workflow_id": workflow_id, "history": json.loads(history.to_json())}
                    )
                path = HISTORIES / f"{name}.json"
                path.write_text(json.dumps({"scenario": name, "histories": entries}) + "\n")
                print(f"recorded {path.relative_to(ROOT)} ({len(entries)} workflows)", flush=True)
        finally:
            await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
            for task in tasks:
                task.cancel()
            await env.shutdown()


def main() -> None:
    """``python -m tests.support.histories [NAME …]``."""
    import os

    names = sys.argv[1:]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        print(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        os._exit(2)
    asyncio.run(record(names))
    sys.stdout.flush()
    os._exit(0)  # temporalio/sdk-python#300


if __name__ == "__main__":
    main()
