"""Tokens per minute: every call leases its estimate from the provider's limiter workflow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from podium.activities.contracts import AgentCall, ProviderConfig
from podium.activities.providers.prompt import estimate_call
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from podium.workflows.limiter import Grant, LimiterState, limiter_id

pytestmark = pytest.mark.usefixtures("worker", "keyed")


def catalog(url: str, tpm: int, burst: int) -> dict:
    return {
        "providers": {
            "tpm-mock": {
                "base_url": f"{url}/v1",
                "api_key_env": "PODIUM_E2E_KEY",
                "tokens_per_minute": tpm,
                "tokens_burst": burst,
            }
        },
        "agents": {"counter": {"model": "tpm-mock:gpt-4o-mini", "max_output_tokens": 200}},
    }


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("PODIUM_E2E_KEY", "sk-test-not-a-secret")


@pytest.fixture
def worker_for(client):
    """Run a worker for one more provider queue (the session worker serves only "mock")."""

    @asynccontextmanager
    async def serve(provider: ProviderConfig) -> AsyncIterator[None]:
        options = WorkerOptions(providers=[provider], orchestration=False)
        workers = build_workers(client, options)
        tasks = [asyncio.create_task(w.run()) for w in workers]
        try:
            yield
        finally:
            await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
            for task in tasks:
                task.cancel()

    return serve


async def test_calls_over_the_limit_wait_for_their_lease(client, mock_llm, write_spec, worker_for):
    spec = {
        "name": "tpm",
        "agents": "agents.yaml",
        "steps": [
            {
                "id": "fan",
                "parallel": [
                    {"id": f"c{i}", "agent": "counter", "with": {"n": "'same'"}} for i in range(4)
                ],
            }
        ],
    }
    plan = compile_spec(write_spec(spec, catalog(mock_llm.url, 60, 1)))
    agent = plan.agents_used()["counter"]
    need = sum(estimate_call(AgentCall(agent=agent, inputs={"n": "same"})))
    # one call's worth at once, refilled at one call per second
    plan = compile_spec(write_spec(spec, catalog(mock_llm.url, 60 * need, need)))
    async with worker_for(plan.agents_used()["counter"].provider):
        handle = await start_run(client, plan, {})
        result = await handle.result()
    assert [s.status for s in result.state.steps] == ["completed"] * 5
    starts = sorted(r["started_at"] for r in mock_llm.requests())
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 4 and min(gaps) >= 0.9, gaps  # not four at once: one per second

    limiter = client.get_workflow_handle(limiter_id("tpm-mock"))
    grants = await limiter.query("recent", result_type=list[Grant])
    mine = [g for g in grants if g.who.startswith(handle.id + "/")]
    assert [g.tokens for g in mine] == [need] * 4
    assert sorted(round(g.waited_s) for g in mine) == [0, 1, 2, 3]
    bucket = await limiter.query("bucket", result_type=LimiterState)
    assert bucket.tokens_per_minute == 60 * need and bucket.burst == need
