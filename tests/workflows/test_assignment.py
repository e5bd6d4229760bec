"""Task assignment by capability: requirements, price, then the queue's backlog."""

from __future__ import annotations

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunResult

from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")


def checker(market: str, price: float = 1.0, **extra) -> dict:
    return {
        "model": "scripted",
        "capabilities": ["compliance"],
        "markets": [market],
        "price": {"input_per_mtok": price, "output_per_mtok": price},
        "script": [{"output": f"{market} checked"}],
        **extra,
    }


def spec(**step) -> dict:
    return {
        "name": "assign",
        "agents": "agents.yaml",
        "steps": [{"id": "check", "capability": "compliance", **step}],
    }


async def test_picks_the_agent_for_the_market_and_records_why(client, write_spec):
    catalog = {"agents": {"sg": checker("SG"), "th": checker("TH"), "th_cheap": checker("TH", 0.5)}}
    path = write_spec(spec(require={"market": "input.market"}), catalog)
    result = await (await start_run(client, compile_spec(path), {"market": "TH"})).result()
    step = result.state.step("check")
    assert result.output == "TH checked" and step.agent == "th_cheap"
    assert step.assignment.startswith(
        "chose th_cheap (capability compliance, requirements market=TH"
    )
    failed = await start_run(client, compile_spec(path), {"market": "FR"})
    with pytest.raises(Exception) as info:
        await failed.result()
    assert "no agent with capability 'compliance' meets market=FR" in info.value.cause.message


async def test_between_equal_agents_the_smaller_backlog_wins(client, write_spec):
    # "busy" is served by no worker: a run stuck on it gives its queue a backlog.
    catalog = {
        "providers": {
            "busy": {"base_url": "http://127.0.0.1:9/v1"},
            "idle": {"base_url": "http://127.0.0.1:9/v1"},
        },
        "agents": {
            "a_busy": checker("SG", model="busy:m", timeout="2s", retry={"max_attempts": 1}),
            "b_scripted": checker("SG"),
        },
    }
    blocker = {
        "name": "blocker",
        "agents": "agents.yaml",
        "steps": [{"id": "stuck", "agent": "a_busy"}],
    }
    stuck = await start_run(
        client, compile_spec(write_spec(blocker, catalog, "blocker.yaml"), offline=False), {}
    )
    path = write_spec(spec(require={"market": "'SG'"}), catalog)

    async def backlog_seen() -> RunResult | None:  # once the stuck activity is scheduled
        handle = await start_run(client, compile_spec(path, offline=False), {})
        result = await handle.result()
        return result if "a_busy: 1" in (result.state.step("check").assignment or "") else None

    result = await eventually(backlog_seen, "a run that sees a_busy's backlog", timeout=30)
    reason = result.state.step("check").assignment
    assert result.state.step("check").agent == "b_scripted"
    assert "2 tied on price, backlog b_scripted: 0, a_busy: 1" in reason
    await stuck.terminate()


def test_capability_nobody_has_and_unmeetable_literal_are_compile_errors(write_spec):
    catalog = {"agents": {"sg": checker("SG")}}
    with pytest.raises(CompileError) as info:
        compile_spec(
            write_spec({**spec(), "steps": [{"id": "c", "capability": "complience"}]}, catalog)
        )
    assert "no agent has capability 'complience'" in str(
        info.value
    ) and "did you mean 'compliance'" in str(info.value)
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(require={"market": None or "'SG'", "region": "'x'"}), catalog))
    assert "unknown requirement 'region'" in str(info.value)
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec(spec(require={"max_price": 0.1}), catalog))
    assert "meets max_price = 0.1" in str(info.value)
