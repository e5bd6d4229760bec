"""A running run's spend (PodiumCostUsd) is kept current for the Web UI's and the CLI's
filters without a visibility write after every call: at most every 10 s while it runs,
and exact at the end."""

from __future__ import annotations

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows import search_attributes as sa

pytestmark = pytest.mark.usefixtures("worker")


async def test_cost_is_upserted_at_most_every_10s_and_exactly_at_the_end(client, write_spec):
    agent = {
        "model": "scripted",
        "price": {"input_per_mtok": 1000, "output_per_mtok": 1000},
        "script": [{"output": "ok"}],
    }
    steps = [{"id": f"s{i}", "agent": "a", "with": {"i": f"`{i}`"}} for i in range(6)]
    plan = compile_spec(
        write_spec({"name": "costly", "agents": {"agents": {"a": agent}}, "steps": steps})
    )
    handle = await start_run(client, plan, {})
    result = await handle.result()
    assert result.state.cost_usd > 0
    history = await handle.fetch_history()
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    with_cost = [fields for fields in upserts if sa.COST_USD.name in fields]
    assert len(with_cost) == 2, len(with_cost)  # the first call's spend, then the end
    description = await handle.describe()
    shown = description.typed_search_attributes.get(sa.COST_USD)
    assert shown == pytest.approx(result.state.cost_usd)
