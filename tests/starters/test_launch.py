"""Starting a run: the market it is filed under (``PodiumMarket``, from the input's
``market``), on a server that knows the attribute and on one not told of it yet."""

from __future__ import annotations

import logging
from contextlib import suppress

import pytest
from podium.activities.payloads.converter import data_converter
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import temporal_binary
from podium.starters.launch import start_run
from podium.workflows import search_attributes as sa
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from tests.support.polling import eventually

SPEC = {
    "name": "market_filed",
    "agents": {"agents": {"w": {"model": "scripted"}}},
    "steps": [{"id": "quote", "agent": "w"}],
}


@pytest.fixture
def plan(write_spec):
    return compile_spec(write_spec(SPEC))


async def test_a_run_is_filed_under_its_inputs_market(client: Client, plan):
    """Runs are only started here: each is terminated at the end (if still going)."""
    handles = [
        await start_run(client, plan, {"market": "TH", "customer": "Siam Foods"}),
        await start_run(client, plan, {"customer": "no market"}),
        await start_run(client, plan, {"market": ["SG", "MY"]}),  # not one market
    ]
    try:
        filed = [(await h.describe()).typed_search_attributes.get(sa.MARKET) for h in handles]
        assert filed == ["TH", None, None]

        async def found() -> list[str]:
            query = "PodiumSpec = 'market_filed' AND PodiumMarket = 'TH'"
            return [e.id async for e in client.list_workflows(query)]

        assert await eventually(found, "the run in a PodiumMarket query") == [handles[0].id]
    finally:
        for handle in handles:
            with suppress(RPCError):  # (finished already where a session's worker runs)
                await handle.terminate("test over")


async def test_a_server_without_the_attribute_still_starts_the_run(plan, caplog):
    known = [key for key in sa.ALL if key is not sa.MARKET]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=data_converter(),
        search_attributes=known,
    )
    try:
        with caplog.at_level(logging.WARNING, logger="podium"):
            handle = await start_run(env.client, plan, {"market": "VN"})
        attributes = (await handle.describe()).typed_search_attributes
        assert attributes.get(sa.SPEC) == "market_filed" and attributes.get(sa.MARKET) is None
        assert "no PodiumMarket search attribute" in caplog.text
    finally:
        await env.shutdown()
