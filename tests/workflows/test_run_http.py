"""End to end through a real HTTP model server (llmock on loopback)."""

from __future__ import annotations

import pytest
from jsonschema import validate
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run

pytestmark = pytest.mark.usefixtures("worker")

SCHEMA = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}
SECRET = "sk-podium-test-secret-0451"


def catalog(llm_url: str) -> dict:
    provider = {"base_url": f"{llm_url}/v1", "api_key_env": "PODIUM_E2E_KEY"}
    agent = {
        "model": "mock:gpt-4o-mini",
        "output": SCHEMA,
        "price": {"input_per_mtok": 0.15, "output_per_mtok": 0.60},
        "retry": {"max_attempts": 4, "initial_interval": "100ms"},
    }
    return {"providers": {"mock": provider}, "agents": {"reader": agent, "writer": agent}}


SPEC = {
    "name": "http_chain",
    "agents": "agents.yaml",
    "steps": [
        {"id": "read", "agent": "reader", "with": {"doc": "input.doc"}},
        {"id": "write", "agent": "writer", "with": {"notes": "steps.read.output.summary"}},
    ],
}


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("PODIUM_E2E_KEY", SECRET)


@pytest.mark.usefixtures("keyed")
async def test_chain_over_http_with_usage_cost_and_no_secret_in_history(
    client, mock_llm, write_spec
):
    plan = compile_spec(write_spec(SPEC, catalog(mock_llm.url)))
    assert plan.steps[0].agent.provider.name == "mock" and not plan.warnings
    handle = await start_run(client, plan, {"doc": "quarterly report"})
    result = await handle.result()
    for step in result.state.steps:
        validate(step.output, SCHEMA)
        assert step.model == "gpt-4o-mini" and not step.offline and step.usage.input_tokens > 0
        assert step.cost_usd == pytest.approx(
            (step.usage.input_tokens * 0.15 + step.usage.output_tokens * 0.60) / 1e6
        )
    journal = mock_llm.requests()
    assert len(journal) == 2
    assert "quarterly report" in journal[0]["body"]["messages"][1]["content"]
    history = await handle.fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)  # payloads unencoded
    assert b"PODIUM_E2E_KEY" in raw  # the variable's name travels…
    assert SECRET.encode() not in raw  # …its value never does


@pytest.mark.usefixtures("keyed")
async def test_retry_honours_retry_after(client, mock_llm, write_spec):
    mock_llm.queue({"type": "fail", "status": 429, "retry_after": 2})
    spec = {**SPEC, "steps": SPEC["steps"][:1]}
    handle = await start_run(
        client, compile_spec(write_spec(spec, catalog(mock_llm.url))), {"doc": "x"}
    )
    result = await handle.result()
    first, second = mock_llm.requests()
    assert first["status"] == 429 and second["status"] == 200
    gap = second["started_at"] - first["ended_at"]
    assert gap >= 1.9, f"retried after {gap:.2f}s although the provider asked for 2s (policy: 0.1s)"
    assert result.state.steps[0].attempts == 2


@pytest.mark.usefixtures("keyed")
async def test_auth_failure_is_not_retried(client, mock_llm, write_spec):
    mock_llm.queue(
        {"type": "fail", "status": 401, "message": "Incorrect API key provided", "times": 5}
    )
    spec = {**SPEC, "steps": SPEC["steps"][:1]}
    handle = await start_run(
        client, compile_spec(write_spec(spec, catalog(mock_llm.url))), {"doc": "x"}
    )
    with pytest.raises(Exception) as info:
        await handle.result()
    assert "ProviderAuthError" in info.value.cause.message
    assert len(mock_llm.requests()) == 1
