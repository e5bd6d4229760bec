"""The circuit breaker opens under errors, fails fast, and closes after a good probe."""

from __future__ import annotations

import asyncio

import pytest
from podium.activities.circuit import CircuitBreaker
from podium.activities.contracts import CircuitSettings
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_at_the_error_rate_then_half_opens_and_closes():
    clock = Clock()
    breaker = CircuitBreaker(
        "p", CircuitSettings(error_rate=0.5, window_s=10, min_calls=4, open_s=5), clock
    )
    for ok in (True, False, True):
        breaker.record(ok)
    assert breaker.state == "closed"
    breaker.record(False)  # 2 of 4 failed
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 5.1
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # exactly one probe
    breaker.record(False)
    assert breaker.state == "open"
    clock.now = 10.2
    assert breaker.allow()
    breaker.record(True)
    assert breaker.state == "closed" and breaker.allow()


def test_old_calls_leave_the_window():
    clock = Clock()
    breaker = CircuitBreaker(
        "p", CircuitSettings(error_rate=0.5, window_s=10, min_calls=2, open_s=5), clock
    )
    breaker.record(False)
    clock.now = 11
    breaker.record(True)
    assert breaker.state == "closed"


@pytest.mark.usefixtures("worker")
async def test_open_circuit_fails_fast_and_fallback_takes_over(client, mock_llm, write_spec):
    catalog = {
        "providers": {
            "mock": {
                "base_url": f"{mock_llm.url}/v1",
                "circuit": {"error_rate": 1.0, "window": "60s", "min_calls": 2, "open_for": "1s"},
            }
        },
        "agents": {
            "main": {
                "model": "mock:gpt-4o-mini",
                "fallback": ["spare"],
                "retry": {"max_attempts": 1},
            },
            "spare": {"model": "scripted", "script": [{"output": "from the spare"}]},
        },
    }
    path = write_spec(
        {"name": "breaker", "agents": "agents.yaml", "steps": [{"id": "ask", "agent": "main"}]},
        catalog,
    )
    plan = compile_spec(path, offline=False)
    mock_llm.queue({"type": "fail", "status": 503, "times": None})
    for _ in range(3):
        result = await (await start_run(client, plan, {})).result()
        assert result.output == "from the spare"
    assert len(mock_llm.requests()) == 2  # the third call never reached the provider
    assert "ProviderUnavailable" in result.state.step("ask").tried[0].error
    mock_llm.reset()  # the provider recovers
    await asyncio.sleep(1.2)
    result = await (await start_run(client, plan, {})).result()
    assert result.state.step("ask").agent == "main" and len(mock_llm.requests()) == 1


@pytest.mark.usefixtures("worker")
async def test_an_agents_max_error_rate_opens_its_own_circuit(client, write_spec):
    schema = {"type": "object", "required": ["ok"]}
    catalog = {
        "agents": {
            "wobbly": {
                "model": "scripted",
                "output": schema,
                "script": [{"output": {"nope": 1}}],  # always fails its schema
                "repair_attempts": 0,
                "max_error_rate": 0.5,
                "fallback": ["steady"],
            },
            "steady": {"model": "scripted", "output": schema, "script": [{"output": {"ok": 1}}]},
        }
    }
    steps = [{"id": f"s{i}", "agent": "wobbly"} for i in range(7)]
    plan = compile_spec(
        write_spec({"name": "wobble", "agents": "agents.yaml", "steps": steps}, catalog)
    )
    result = await (await start_run(client, plan, {})).result()
    errors = [s.tried[0].error or "" for s in result.state.steps]
    assert all(e.startswith("OutputSchemaError") for e in errors[:5])  # the first 5 calls ran
    assert all("agent 'wobbly' is unavailable" in e for e in errors[5:])  # then: fail fast
    assert all(s.output == {"ok": 1} and s.agent == "steady" for s in result.state.steps)


def test_a_probe_that_was_never_made_is_given_back():
    clock = Clock()
    breaker = CircuitBreaker(
        "p", CircuitSettings(error_rate=0.5, window_s=10, min_calls=2, open_s=5), clock
    )
    breaker.record(False)
    breaker.record(False)
    clock.now = 5.1
    assert breaker.allow() and not breaker.allow()  # the probe is out…
    breaker.release()  # …but another breaker refused the call (or it was cancelled)
    assert breaker.allow()  # the next call may probe instead of the circuit staying shut
