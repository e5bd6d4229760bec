"""Endpoints are deployment settings: a worker process expands ``${VAR}`` from its own
environment, and its own ``--catalog`` wins over the plan's base_url. The judge is the
journaling provider on loopback (tests/support/fault_server.py): it saw the request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import stop_process
from podium.starters.launch import start_run

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.fault_server import fault_server
from tests.support.worker_process import start_worker

SCHEMA = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}
DEAD = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


def catalog(provider: str, base_url: str) -> dict:
    """One agent on ``provider``, one attempt: a call to the wrong endpoint fails the run."""
    agent = {"model": f"{provider}:m", "output": SCHEMA, "timeout": "10s"}
    agent["retry"] = {"max_attempts": 1}
    return {
        "providers": {provider: {"base_url": base_url, "circuit": False}},
        "agents": {"writer": agent},
    }


def spec() -> dict:
    return {"name": "endpoints", "agents": "agents.yaml", "steps": [{"id": "w", "agent": "writer"}]}


async def run_with_worker(client, address, plan, log: Path, worker_catalog: Path):
    worker = start_worker(address, log, ISOLATED_NAMESPACE, "--catalog", str(worker_catalog))
    try:
        handle = await start_run(client, plan, {})
        return await asyncio.wait_for(handle.result(), 60)
    finally:
        stop_process(worker)


@pytest.mark.slow
async def test_base_url_template_is_expanded_by_the_worker(
    isolated_client, address, write_spec, tmp_path, monkeypatch
):
    template = "${PODIUM_TEST_LLM_URL:-" + DEAD + "}"
    monkeypatch.delenv("PODIUM_TEST_LLM_URL", raising=False)  # unset where the run compiles
    with fault_server() as llm:
        path = write_spec(spec(), catalog("envurl", template))
        plan = compile_spec(path)
        assert plan.steps[0].agent.provider.base_url == template
        monkeypatch.setenv("PODIUM_TEST_LLM_URL", llm.url)  # set where the worker runs
        log = tmp_path / "worker.log"
        log.touch()
        result = await run_with_worker(
            isolated_client, address, plan, log, path.parent / "agents.yaml"
        )
        journal = llm.entries()
    assert result.state.steps[0].status == "completed"
    assert [e.outcome for e in journal] == ["ok"]
    assert "provider 'envurl': this worker's catalog sets its endpoint" in log.read_text()


@pytest.mark.slow
async def test_the_worker_catalog_wins_over_the_plan_endpoint(
    isolated_client, address, write_spec, tmp_path
):
    with fault_server() as llm:
        plan = compile_spec(write_spec(spec(), catalog("ownurl", DEAD)))
        assert plan.steps[0].agent.provider.base_url == DEAD
        own = tmp_path / "worker-providers.yaml"
        own.write_text(yaml.safe_dump(catalog("ownurl", llm.url)))
        log = tmp_path / "worker.log"
        log.touch()
        result = await run_with_worker(isolated_client, address, plan, log, own)
        journal = llm.entries()
    assert result.state.steps[0].status == "completed"
    assert [e.outcome for e in journal] == ["ok"]
    text = log.read_text()
    assert "provider 'ownurl': this worker's catalog sets its endpoint (127.0.0.1:" in text
