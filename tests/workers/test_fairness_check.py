"""``podium worker`` says, in one line, when the server it joins ignores fairness keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from podium.starters.devserver import DYNAMIC_CONFIG, stop_process, temporal_binary
from podium.workers.fairness_check import fairness_ignored
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.support.polling import eventually
from tests.support.worker_process import start_worker

WARNING = "the Temporal server ignores fairness keys"


@pytest.fixture(scope="module")
async def unfair_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server with every `podium dev` setting but fairness (as a production server
    without matching.enableFairness)."""
    args = []
    for key, value in DYNAMIC_CONFIG.items():
        if key != "matching.enableFairness":
            args += ["--dynamic-config-value", f"{key}={value}"]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_extra_args=args
    )
    yield env
    await env.shutdown()


async def probe_runs_left(client: Client) -> list[str]:
    query = "WorkflowType = 'PodiumFairnessProbe'"
    return [w.id async for w in client.list_workflows(query)]


async def test_a_server_with_fairness_passes_the_check_and_keeps_no_probe_run(client):
    assert await fairness_ignored(client) is False

    async def gone() -> bool:
        return not await probe_runs_left(client)

    await eventually(gone, "the probe runs to be deleted")


async def test_a_server_without_fairness_is_found_out(unfair_server):
    assert await fairness_ignored(unfair_server.client) is True


async def test_podium_worker_warns_once_when_its_server_ignores_fairness_keys(
    unfair_server, tmp_path: Path
):
    log = tmp_path / "worker.log"
    log.touch()
    address = unfair_server.client.service_client.config.target_host
    worker = start_worker(address, log, "default")
    try:

        async def warned() -> list[str]:
            return [line for line in log.read_text().splitlines() if WARNING in line]

        [line] = await eventually(warned, "the worker's fairness warning")
        assert "WARNING podium.worker:" in line and "namespace default" in line
        assert "matching.enableFairness: true" in line and "docs/peak-season.md" in line
    finally:
        stop_process(worker)
