"""The console's run pages as a person meets them over HTTP (a real uvicorn on loopback,
the dev server and worker): the runs list and its filters, a run's page — its steps, cost,
tool calls, supervisor decisions, the link to the Temporal Web UI, every agent text escaped
— and the live stream of the page's parts, in order, to the run's end; in Chromium, the
page following a run as it goes. Set ``PODIUM_SCREENSHOT_DIR=docs`` to refresh
docs/console-run.png."""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web import run_search
from podium.starters.web.settings import ConsoleSettings, Person
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client

from tests.support.asgi_server import serving
from tests.support.browser import headless_page
from tests.support.polling import eventually
from tests.support.tool_specs import TOOLS

pytestmark = pytest.mark.usefixtures("worker")
HEADER = "X-Test-User"
EVIL = '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">'
PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 4.0}
AGENTS = {
    "tools": {"fx_rate": TOOLS["fx_rate"]},
    "agents": {
        "writer": {
            "model": "scripted",
            "latency": "1500ms",
            "price": PRICE,
            "script": [{"output": "Dear {{ name }}, " + EVIL + " thank you for your order."}],
        },
        "quoter": {
            "model": "scripted",
            "tools": ["fx_rate"],
            "price": PRICE,
            "script": [
                {
                    "when": "turn == `1`",
                    "tool_calls": [
                        {"name": "fx_rate", "arguments": {"base": "USD", "quote": "THB"}}
                    ],
                },
                {"output": {"rate": "{{ tool_results.fx_rate.rate }}"}},
            ],
        },
        "lead": {
            "model": "scripted",
            "description": "Leads the quote.",
            "script": [
                {
                    "when": "turn == `1`",
                    "output": {
                        "next": "checker",
                        "task": "Check the quote",
                        "reason": "<b>checks</b> come first",
                    },
                },
                {"output": {"next": "done", "reason": "checked", "output": {"ok": True}}},
            ],
        },
        "checker": {"model": "scripted", "description": "Checks a quote.", "price": PRICE},
    },
}
GATED = {
    "name": "console_live",
    "agents": AGENTS,
    "steps": [
        {"id": "hold", "approval": {"title": "Go?", "approvers": ["ann"]}},
        {"id": "draft", "agent": "writer", "with": {"name": "input.name"}, "needs": ["hold"]},
    ],
    "output": "steps.draft.output",
}
BUSY = {
    "name": "console_busy",
    "agents": AGENTS,
    "steps": [
        {"id": "quote", "agent": "quoter"},
        {
            "id": "review",
            "needs": ["quote"],
            "supervise": {
                "manager": "lead",
                "task": "input",
                "team": {"checker": {"agent": "checker"}},
            },
        },
    ],
    "output": "steps.review.output",
}


@asynccontextmanager
async def console(client: Client, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    """The console, and an HTTP client signed in as ann (the trusted header; the app is
    ``http.app``)."""
    settings = ConsoleSettings(
        people={"ann": Person(id="ann", can=frozenset({"start-runs", "edit-specs"}))},
        trusted_header=HEADER,
        secret="s" * 64,
        temporal_ui="http://ui.example:8233/",
    )
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    app = build_app(client, specs=specs, clients=Clients([]), console=settings)
    async with (
        serving(app) as base,
        httpx.AsyncClient(base_url=base, headers={HEADER: "ann"}, timeout=60) as http,
    ):
        http.app = app  # type: ignore[attr-defined]
        yield http


async def start(client: Client, write_spec, spec: dict, run_input: dict, name: str) -> str:
    """Start a run of ``spec``, followed (its agents stream their text from the first call,
    as when someone already watches it)."""
    plan = compile_spec(write_spec(spec, name=name))
    return (await start_run(client, plan, run_input, follow=True)).id


async def waiting(client: Client, run_id: str) -> None:
    async def asked() -> bool:
        state = await client.get_workflow_handle(run_id).query("status", result_type=RunState)
        return bool(state.open_requests())

    await eventually(asked, f"{run_id} to wait on ann")


@dataclass
class Sent:
    """One server-sent event."""

    event: str
    data: str
    id: str


async def read_events(http: httpx.AsyncClient, url: str, **headers: str) -> list[Sent]:
    """Every event of a server-sent stream until the server ends it."""
    sent, fields = [], {"event": "message", "data": [], "id": ""}
    async with http.stream("GET", url, headers=headers) as answer:
        assert answer.status_code == 200, await answer.aread()
        async for line in answer.aiter_lines():
            if not line:
                if fields["data"]:
                    sent.append(Sent(fields["event"], "\n".join(fields["data"]), fields["id"]))
                fields = {"event": "message", "data": [], "id": fields["id"]}
            elif not line.startswith(":"):
                key, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if key == "data":
                    fields["data"].append(value)
                elif key in ("event", "id"):
                    fields[key] = value
    return sent


def statuses_of(html: str, step: str) -> list[str]:
    return re.findall(rf'data-step="{step}" data-status="(\w+)"', html)


async def test_the_runs_list_filters_by_spec_status_market_and_who_it_waits_on(
    client, write_spec, tmp_path, monkeypatch
):
    th = await start(client, write_spec, BUSY, {"market": "TH"}, "busy.yaml")
    await client.get_workflow_handle(th, result_type=RunResult).result()
    vn = await start(client, write_spec, BUSY, {"market": "VN"}, "busy.yaml")
    await client.get_workflow_handle(vn, result_type=RunResult).result()
    gated = await start(client, write_spec, GATED, {"name": "Siti", "market": "TH"}, "gated.yaml")
    await waiting(client, gated)
    async with console(client, tmp_path) as http:

        def ours(html: str) -> list[str]:
            shown = re.findall(r'href="/console/runs/([^"/]+)"', html)
            return [run for run in shown if run in (th, vn, gated)]

        async def listed(query: str, count: int) -> list[str]:
            async def shown() -> list[str] | None:
                page = await http.get(f"/console/runs?{query}")
                assert page.status_code == 200
                runs = ours(page.text)
                return runs if len(runs) == count else None  # (visibility lags a little)

            return await eventually(shown, f"{count} runs for {query}")

        assert await listed("spec=console_busy&status=completed", 2) == [vn, th]  # newest first
        assert await listed("market=TH&spec=console_busy", 1) == [th]
        assert await listed("waiting_on=ann&status=waiting", 1) == [gated]
        assert await listed("market=TH&status=waiting", 1) == [gated]
        page = (await http.get("/console/runs?spec=console_busy")).text
        assert ">Runs</a>" in page  # the menu
        assert "console_busy" in page and "TH" in page and "completed" in page

        monkeypatch.setattr(run_search, "PAGE_SIZE", 1)  # one run a page: follow the pages
        first = await http.get("/console/runs?spec=console_busy&status=completed")
        older = re.search(r'href="(/console/runs\?[^"]*page=[^"]+)"', first.text)
        assert older and ours(first.text) == [vn]
        second = await http.get(older.group(1).replace("&amp;", "&"))
        assert ours(second.text) == [th]

        for bad in ("status=lost", "market=TH' OR 1=1", "page=%%%"):
            refused = await http.get(f"/console/runs?{bad}")
            assert refused.status_code == 400, bad
            assert "Cannot search for that" in refused.text
    await send_decision(
        client.get_workflow_handle(gated),
        DecisionInput(request_id="hold-1", outcome="reject", by="ann"),
    )


async def test_a_finished_runs_page_shows_its_steps_tools_decisions_cost_and_link(
    client, write_spec, tmp_path
):
    run_id = await start(client, write_spec, BUSY, {"market": "SG"}, "busy.yaml")
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    assert result.state.cost_usd > 0
    async with console(client, tmp_path) as http:
        answer = await http.get(f"/console/runs/{run_id}")
    page = answer.text
    assert answer.status_code == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert statuses_of(page, "quote") == ["completed"]
    assert statuses_of(page, "review") == ["completed"]
    assert "agent quoter" in page and "checker" in page  # the diagram: boxes and the team
    assert f"${result.state.cost_usd:.6f}" in page
    assert f'href="http://ui.example:8233/namespaces/default/workflows/{run_id}"' in page
    assert "calls fx_rate" in page and "&#34;quote&#34;: &#34;THB&#34;" in page
    assert "turn 1: hands over to checker" in page
    assert "&lt;b&gt;checks&lt;/b&gt; come first" in page  # the supervisor's reason, escaped
    assert "SG" in page and "sse-connect" not in page  # ended: nothing to follow


async def test_the_live_stream_sends_the_pages_parts_in_order_and_ends_with_the_run(
    client, write_spec, tmp_path
):
    run_id = await start(client, write_spec, GATED, {"name": "Siti"}, "gated.yaml")
    await waiting(client, run_id)
    async with console(client, tmp_path) as http:
        page = (await http.get(f"/console/runs/{run_id}")).text
        assert statuses_of(page, "hold") == ["waiting"]
        assert statuses_of(page, "draft") == ["pending"]
        assert f'href="/console/runs/{run_id}/requests/hold-1"' in page
        live = re.search(r'sse-connect="([^"]+)"', page).group(1).replace("&amp;", "&")
        assert re.search(r"/live\?after=\d+$", live)

        reading = asyncio.create_task(read_events(http, live))
        await send_decision(
            client.get_workflow_handle(run_id),
            DecisionInput(request_id="hold-1", outcome="approve", by="ann"),
        )
        sent = await reading
        assert sent[-1].event == "end" and sent[-1].data == "completed"
        assert {s.event for s in sent} <= {"head", "steps", "writing", "activity", "end"}
        offsets = [int(s.id) for s in sent]
        assert offsets == sorted(offsets)
        steps = [s.data for s in sent if s.event == "steps"]
        draft = [statuses_of(part, "draft")[0] for part in steps]
        assert "running" in draft and draft[-1] == "completed"  # lit, then done
        assert draft.index("running") < draft.index("completed")
        lit = steps[draft.index("running")]
        assert re.search(r'class="box running lit" data-step="draft"', lit)
        texts = [s.data for s in sent if s.event == "writing" and "Dear Siti" in s.data]
        assert len(texts) >= 2 and len(texts[-1]) > len(texts[0])  # the draft, as written
        for part in (s.data for s in sent):
            assert "<script>" not in part and "<img" not in part
        assert any("&lt;script&gt;window.__pwned" in part for part in texts)
        heads = [s.data for s in sent if s.event == "head"]
        assert "completed" in heads[-1] and "The run's output" in heads[-1]

        again = await read_events(http, live, **{"Last-Event-ID": sent[-1].id})
        assert [(s.event, s.data) for s in again] == [("end", "completed")]  # nothing more


WATCHED = {
    **GATED,
    "name": "quote_for_siti",
    "steps": [
        {"id": "hold", "approval": {"title": "Go?", "approvers": ["ann"]}},
        {
            "id": "checks",
            "needs": ["hold"],
            "parallel": [
                {"id": "stock", "agent": "checker"},
                {"id": "credit", "agent": "checker"},
            ],
        },
        {"id": "draft", "agent": "writer", "with": {"name": "input.name"}, "needs": ["checks"]},
    ],
}
RECORD = """(() => {
  window.__seen = [];
  const note = () => {
    const box = document.querySelector('[data-step="draft"]');
    const writing = document.getElementById('run-writing');
    window.__seen.push({draft: box.dataset.status, lit: box.classList.contains('lit'),
                        written: writing.textContent.trim().length});
  };
  new MutationObserver(note).observe(document.querySelector('.run'),
    {childList: true, subtree: true, characterData: true});
  note();
})()"""


async def test_in_chromium_the_run_page_follows_the_run_and_never_runs_its_text(
    client, write_spec, tmp_path
):
    """The page is opened while the run waits on ann; she approves, and without a reload
    the draft step lights up, its text grows as it is written, the step completes — and the
    agent's ``<script>`` and ``<img onerror>`` are shown as text, never run."""
    shots = Path(os.environ.get("PODIUM_SCREENSHOT_DIR") or tmp_path)
    run_id = await start(client, write_spec, WATCHED, {"name": "Siti", "market": "ID"}, "w.yaml")
    await waiting(client, run_id)
    async with console(client, tmp_path) as http:
        base = str(http.base_url).rstrip("/")
        recording = threading.Event()

        def in_chromium() -> dict:
            with headless_page(width=390, height=844) as page:
                page.send("Network.enable")
                page.send("Network.setExtraHTTPHeaders", headers={HEADER: "ann"})
                page.goto(f"{base}/console/runs/{run_id}")
                page.wait_for("document.readyState === 'complete'", what="the page")
                page.evaluate(RECORD)
                recording.set()
                page.wait_for(
                    "(document.querySelector('#run-writing pre') || {}).textContent?.length > 40",
                    what="the draft to be written",
                )
                page.screenshot(shots / "console-run.png")
                page.wait_for(
                    "document.querySelector('#run-head .status').textContent === 'completed'",
                    what="the run to end",
                )
                return page.evaluate(
                    "({seen: window.__seen, pwned: window.__pwned || null,"
                    " images: document.querySelectorAll('img').length,"
                    " text: document.body.textContent,"
                    " wide: document.documentElement.scrollWidth})"
                )

        browsing = asyncio.create_task(asyncio.to_thread(in_chromium))
        feeds = http.app.state.feeds  # type: ignore[attr-defined]

        async def following() -> bool:
            if browsing.done():
                await browsing  # what went wrong in the browser
            return recording.is_set() and bool(feeds.watched().get(run_id))

        await eventually(following, "the page to follow the run")
        await send_decision(
            client.get_workflow_handle(run_id),
            DecisionInput(request_id="hold-1", outcome="approve", by="ann"),
        )
        shown = await browsing
    seen = shown["seen"]
    assert seen[0]["draft"] == "pending"
    running = [i for i, x in enumerate(seen) if x["draft"] == "running" and x["lit"]]
    done = [i for i, x in enumerate(seen) if x["draft"] == "completed"]
    assert running and done and running[0] < done[0], "lit, then completed, live"
    grown = sorted({x["written"] for x in seen if x["draft"] == "running" and x["written"]})
    assert len(grown) >= 3, f"the text was shown as it was written, not only whole: {grown}"
    assert shown["pwned"] is None and shown["images"] == 0  # nothing the agent wrote ran
    for written in ("<script>window.__pwned = 1</script>", "<img src=x onerror="):
        assert written in shown["text"]  # … it is there, as text (the draft's answer)
    assert shown["wide"] <= 390, "the page scrolls sideways on a phone"
