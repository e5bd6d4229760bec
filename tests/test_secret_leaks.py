"""A provider that echoes the caller's key: the key reaches neither the run's history
(the server's database, the Web UI) nor the worker's log."""

from __future__ import annotations

import pytest
import yaml
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import stop_process
from podium.starters.launch import start_run
from temporalio.client import WorkflowFailureError

from tests.conftest import ISOLATED_NAMESPACE
from tests.support.fault_server import fault_server
from tests.support.worker_process import start_worker

KEY = "sk-proj-podium-leaktest-7f3a9c"


@pytest.mark.slow
async def test_an_echoed_key_stays_out_of_history_and_logs(
    isolated_client, address, write_spec, tmp_path, monkeypatch
):
    monkeypatch.setenv("LEAKY_LLM_KEY", KEY)  # both sides: the client compiles, the worker calls
    monkeypatch.setenv("PODIUM_LOG_LEVEL", "DEBUG")  # every line a worker may write
    with fault_server(echo_auth=True) as llm:
        catalog = {
            "providers": {"leaky": {"base_url": llm.url, "api_key_env": "LEAKY_LLM_KEY"}},
            "agents": {"writer": {"model": "leaky:m"}},
        }
        (tmp_path / "providers.yaml").write_text(yaml.safe_dump(catalog))
        spec = {"name": "leak", "agents": "agents.yaml", "steps": [{"id": "w", "agent": "writer"}]}
        plan = compile_spec(write_spec(spec, catalog))
        log = tmp_path / "worker.log"
        log.touch()
        worker = start_worker(
            address, log, ISOLATED_NAMESPACE, "--catalog", str(tmp_path / "providers.yaml")
        )
        try:
            handle = await start_run(isolated_client, plan, {})
            with pytest.raises(WorkflowFailureError) as info:
                await handle.result()
        finally:
            stop_process(worker)
        assert llm.entries()[0].outcome == "401"  # the provider did echo it
    assert "Incorrect API key provided: Bearer ***" in info.value.cause.message
    history = await handle.fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert b"Incorrect API key provided" in raw and KEY.encode() not in raw
    text = log.read_text()
    assert "Incorrect API key provided" in text and KEY not in text
