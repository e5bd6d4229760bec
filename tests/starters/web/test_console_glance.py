"""The console's "At a glance" page as a person reads it (a real uvicorn on loopback, the
dev server; Chromium at phone width): runs, success rate, p50/p95 duration, cost, who waits
on people and failure classes, per spec, per agent and per market, over the last hour, day
or week. Set ``PODIUM_SCREENSHOT_DIR=docs`` to refresh docs/console-glance.png."""

from __future__ import annotations

import asyncio
import html
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.formatting import ms_text, usd
from podium.starters.launch import start_run
from podium.starters.run_report import percentile
from podium.starters.runs import read_run
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.settings import ConsoleSettings
from podium.workflows.state import RunState
from temporalio.client import Client, WorkflowFailureError

from tests.support.asgi_server import serving
from tests.support.browser import headless_page
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
HEADER = "X-Test-User"
PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 2.0}


@dataclass
class Runs:
    """Four runs of one spec: two completed, one failed, one waiting on a person."""

    spec: str
    agent: str
    markets: tuple[str, str]
    handles: list


@pytest.fixture
async def four_runs(client: Client, write_spec) -> AsyncIterator[Runs]:
    tag = uuid.uuid4().hex[:6]
    spec, agent, markets = f"glance_{tag}", f"judge_{tag}", (f"ID-{tag}", f"TH-{tag}")
    plan = compile_spec(
        write_spec(
            {
                "name": spec,
                "agents": {
                    "agents": {
                        agent: {
                            "model": "scripted",
                            "price": PRICE,
                            "retry": {"max_attempts": 1},
                            "script": [{"when": "bad", "fail": "refused"}, {"output": "ok"}],
                        }
                    }
                },
                "steps": [
                    {"id": "judge", "agent": agent, "with": {"bad": "input.bad"}},
                    {"id": "hold", "when": "input.hold", "approval": {"title": "Hold"}},
                ],
            }
        )
    )
    inputs = [
        {"bad": False, "hold": False, "market": markets[0]},
        {"bad": False, "hold": False, "market": markets[1]},
        {"bad": True, "hold": False, "market": markets[0]},  # fails: ProviderRejectedRequest
        {"bad": False, "hold": True, "market": markets[0]},  # waits on a person
    ]
    handles = [await start_run(client, plan, i) for i in inputs]
    try:
        for handle in handles[:2]:
            await handle.result()
        with pytest.raises(WorkflowFailureError):
            await handles[2].result()

        async def held() -> bool:
            state = await handles[3].query("status", result_type=RunState)
            return bool(state.open_requests())

        await eventually(held, "the run to wait on its approval", 20)
        yield Runs(spec, agent, markets, handles)
    finally:
        await handles[3].cancel()


def console_app(client: Client, tmp_path: Path, **settings):
    people = ConsoleSettings(trusted_header=HEADER, secret="s" * 64, **settings)
    return build_app(client, specs=tmp_path, clients=Clients([]), console=people)


async def counted(http: httpx.AsyncClient, spec: str) -> str:
    """The page once it counts the spec's 4 runs (visibility is eventually consistent)."""

    async def listed() -> str | None:
        page = (await http.get("/console/glance")).text
        shown = f'<th scope="row">{spec}</th>' in page
        return page if shown and cells(page, spec)["Runs"] == "4" else None

    return await eventually(listed, f"the page to count the 4 runs of {spec}", 20, every=0.3)


def cells(page: str, name: str) -> dict[str, str]:
    """The row named ``name`` of a table on the page: {column label: text}."""
    found = re.search(rf'<th scope="row">{re.escape(name)}</th>(.*?)</tr>', page, re.DOTALL)
    assert found, f"no row {name!r}"
    pairs = re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', found.group(1), re.DOTALL)
    return {html.unescape(k): " ".join(html.unescape(v).split()) for k, v in pairs}


async def test_a_spec_and_its_agent_at_a_glance(client, four_runs, tmp_path):
    durations, cost = [], 0.0
    for handle in four_runs.handles:
        described = await handle.describe()
        if described.close_time is not None:
            durations.append((described.close_time - described.start_time).total_seconds() * 1000)
        cost += (await read_run(handle))[0].cost_usd
    async with (
        serving(console_app(client, tmp_path)) as base,
        httpx.AsyncClient(base_url=base, headers={HEADER: "ann"}, timeout=60) as http,
    ):
        page = await counted(http, four_runs.spec)
        assert "<h1>At a glance</h1>" in page
        assert cells(page, four_runs.spec) == {
            "Runs": "4",
            "Success": "67%",  # 2 of the 3 finished
            "p50": ms_text(percentile(durations, 50)),
            "p95": ms_text(percentile(durations, 95)),
            "Cost": usd(cost),
            "Waiting on people": "1",
            "Failures": "ProviderRejectedRequest 1",
        }
        agent = cells(page, four_runs.agent)
        assert (agent["Runs"], agent["Calls"], agent["Failed calls"]) == ("4", "3", "1 (25%)")
        assert agent["Failures"] == "ProviderRejectedRequest 1" and agent["Cost"] == usd(cost)
        first, second = (cells(page, market) for market in four_runs.markets)
        assert (first["Runs"], first["Success"], first["Waiting on people"]) == ("3", "50%", "1")
        assert first["Failures"] == "ProviderRejectedRequest 1"
        assert (second["Runs"], second["Success"], second["Failures"]) == ("1", "100%", "-")

        hour = (await http.get("/console/glance?over=hour")).text
        week = (await http.get("/console/glance?over=week")).text
        assert cells(hour, four_runs.spec)["Runs"] == cells(week, four_runs.spec)["Runs"] == "4"
        assert 'href="?over=hour" aria-current="page"' in hour
        since = [since_shown(p) for p in (hour, week)]
        assert round((since[0] - since[1]).total_seconds() / 3600) == 7 * 24 - 1


def since_shown(page: str) -> datetime:
    found = re.search(r"Since (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", page)
    assert found, "the page says since when it counts"
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M")


async def test_at_a_glance_fits_a_phone(client, four_runs, tmp_path):
    """At 390 px the tables become one card per spec or agent: nothing is wider than the
    screen, and every figure sits beside its label."""
    shots = Path(os.environ.get("PODIUM_SCREENSHOT_DIR") or tmp_path)
    async with serving(console_app(client, tmp_path)) as base:
        async with httpx.AsyncClient(base_url=base, headers={HEADER: "ann"}) as http:
            await counted(http, four_runs.spec)

        def in_chromium() -> dict:
            with headless_page(width=390, height=844) as page:
                page.send("Network.enable")
                page.send("Network.setExtraHTTPHeaders", headers={HEADER: "ann"})
                page.goto(f"{base}/console/glance")
                page.wait_for_text(four_runs.spec, four_runs.agent)
                # the text shows before the stylesheet applies: unstyled, the tables are wider
                page.wait_for("document.readyState === 'complete'", what="the stylesheet")
                page.screenshot(shots / "console-glance.png")
                return page.evaluate(
                    "({wide: document.documentElement.scrollWidth,"
                    " seen: document.documentElement.clientWidth,"
                    " right: Math.max(...[...document.querySelectorAll('table.glance th,"
                    " table.glance td')].map(c => c.getBoundingClientRect().right)),"
                    " cells: [...[...document.querySelectorAll('table.glance tr')].find(r =>"
                    f" r.textContent.includes({four_runs.spec!r})).querySelectorAll('td')]"
                    ".map(td => [getComputedStyle(td, '::before').content, td.textContent.trim(),"
                    " td.getBoundingClientRect().right])})"
                )

        shown = await asyncio.to_thread(in_chromium)
    assert shown["wide"] <= 390, "the page scrolls sideways on a phone"
    assert shown["right"] <= shown["seen"], "a card is wider than what the phone shows"
    card = {label.strip('"'): (text, right) for label, text, right in shown["cells"]}
    assert all(right <= 390 for _, right in card.values()), card
    assert card["Waiting on people"][0] == "1"
    assert card["Failures"][0] == "ProviderRejectedRequest 1"
