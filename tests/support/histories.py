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
from pathlib import Path

from temporalio.client import Client

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from podium.activities.contracts import BUILTIN_PROVIDERS, ProviderConfig  # noqa: E402
from podium.starters.devserver import local_environment  # noqa: E402
from podium.workers.worker import WorkerOptions, build_workers  # noqa: E402

import tests.support.scenarios_kinds  # noqa: E402, F401 - registers its scenarios
import tests.support.scenarios_people  # noqa: E402, F401 - registers its scenarios
import tests.support.scenarios_spend  # noqa: E402, F401 - registers its scenario
from tests.support.fault_server import fault_server  # noqa: E402
from tests.support.scenario_kit import HTTP_PROVIDER, SCENARIOS  # noqa: E402

HISTORIES = ROOT / "tests" / "histories"

__all__ = ["HISTORIES", "SCENARIOS", "record"]


async def children(client: Client, workflow_id: str) -> list[str]:
    """Ids of the child workflows ``workflow_id`` started, recursively."""
    found: list[str] = []
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
            child = event.start_child_workflow_execution_initiated_event_attributes.workflow_id
            found += [child, *await children(client, child)]
    return found


async def runs(client: Client, workflow_id: str) -> list[str | None]:
    """Run ids of ``workflow_id``'s continue-as-new chain, oldest first ([None]: the one)."""
    await asyncio.sleep(1)  # visibility lags the history a little
    found = [
        (execution.start_time, execution.run_id)
        async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'")
    ]
    return [run_id for _, run_id in sorted(found)] if len(found) > 1 else [None]


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
                    for run_id in await runs(client, workflow_id):  # a continue-as-new chain
                        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
                        history = await handle.fetch_history()
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
