"""Starting a run from the console (#26.6) as a person meets it over HTTP (a real uvicorn
on loopback, the dev server and worker): the form made from a spec's input schema, a
refused input shown on its field with everything typed kept and no run started, a good one
started and its live page opened, and a spec the compiler refuses offering no form."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import httpx
import pytest
import yaml
from podium.starters.runs import started_with
from podium.workflows import search_attributes as sa
from temporalio.client import Client

from tests.starters.web.test_console_runs import console
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
ROOT = Path(__file__).parents[3]
FORM_SPEC = {
    "name": "console_form",
    "input": {
        "type": "object",
        "required": ["title", "count", "markets"],
        "properties": {
            "title": {"type": "string", "title": "Case title", "description": "Shown <first>"},
            "notes": {"type": "string", "maxLength": 2000},
            "count": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
            "urgent": {"type": "boolean", "default": True},
            "market": {"enum": ["SG", "MY", "ID"]},
            "markets": {"type": "array", "items": {"enum": ["SG", "MY", "ID"]}, "minItems": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
            "extra": {"type": "object", "properties": {"a": {"type": "integer"}}},
        },
    },
    "agents": {"agents": {"echo": {"model": "scripted"}}},
    "steps": [{"id": "echo", "agent": "echo", "with": {"title": "input.title"}}],
}


def deal_specs(tmp_path: Path) -> Path:
    """The server's folder: the shipped deal_review, a copy the compiler refuses, and the
    catalog they name."""
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    text = (ROOT / "specs" / "deal_review.yaml").read_text()
    (specs / "deal_review.yaml").write_text(text)
    broken = text.replace("agent: risk-aggregator", "agent: nobody-we-know")
    assert broken != text
    (specs / "broken_deal.yaml").write_text(broken)
    shutil.copytree(ROOT / "agents", tmp_path / "agents", dirs_exist_ok=True)
    return specs


def field_of(page: httpx.Response, name: str) -> str:
    """The HTML of one field of the form (its box, its help, its problems)."""
    parts = re.split(r'(?=<div class="field[^"]*" data-field=")', page.text)
    found = [p for p in parts if p.split(">", 1)[0].endswith(f'data-field="{name}"')]
    assert len(found) == 1, f"no field {name} on the page"
    return found[0].split("</form>", 1)[0]


def csrf(page: httpx.Response) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)


async def run_ids(client: Client, spec: str) -> set[str]:
    query = f"{sa.SPEC.name} = '{spec}'"
    return {run.id async for run in client.list_workflows(query)}


async def test_a_deal_review_is_started_from_its_form(client, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # (its analysts answer offline)
    deal_specs(tmp_path)
    before = await run_ids(client, "deal_review")
    async with console(client, tmp_path) as http:
        spec_page = await http.get("/console/specs/deal_review")
        assert 'href="/console/specs/deal_review/run"' in spec_page.text
        form = await http.get("/console/specs/deal_review/run")
        assert form.status_code == 200
        for name in ("company", "deal_terms", "amount_usd"):
            assert 'name="input.' + name + '"' in field_of(form, name)
            assert "(required)" in field_of(form, name)
        amount = field_of(form, "amount_usd")
        assert 'type="number"' in amount and 'min="0"' in amount
        typed = {"input.company": "Acme <Ltd>", "input.deal_terms": "net 30, 3 years"}

        refused = await http.post(
            "/console/specs/deal_review/run",
            data={"csrftoken": csrf(form), **typed, "input.amount_usd": "-5"},
        )
        assert refused.status_code == 422
        assert "-5 is less than the minimum of 0" in field_of(refused, "amount_usd")
        assert 'value="-5"' in field_of(refused, "amount_usd")
        assert 'value="Acme &lt;Ltd&gt;"' in field_of(refused, "company")
        assert 'value="net 30, 3 years"' in field_of(refused, "deal_terms")
        assert "minimum" not in field_of(refused, "company")

        started = await http.post(
            "/console/specs/deal_review/run",
            data={"csrftoken": csrf(refused), **typed, "input.amount_usd": "1200.5"},
        )
        assert started.status_code == 303
        run_id = started.headers["location"].rsplit("/console/runs/", 1)[1]
        assert run_id.startswith("deal_review-")
        page = await http.get(f"/console/runs/{run_id}")
        assert page.status_code == 200
        assert run_id in page.text and 'data-step="risk"' in page.text

    async def listed() -> set[str] | None:
        new = await run_ids(client, "deal_review") - before
        return new or None

    assert await eventually(listed, "the started run to be listed") == {run_id}
    handle = client.get_workflow_handle(run_id)
    run_input = (await started_with(client, handle)).input
    assert run_input == {
        "company": "Acme <Ltd>",
        "deal_terms": "net 30, 3 years",
        "amount_usd": 1200.5,
    }


async def test_every_kind_of_field_is_read_into_the_input(client, tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "console_form.yaml").write_text(yaml.safe_dump(FORM_SPEC, sort_keys=False))
    async with console(client, tmp_path) as http:
        form = await http.get("/console/specs/console_form/run")
        assert form.status_code == 200
        title = field_of(form, "title")
        assert "Case title" in title and "Shown &lt;first&gt;" in title
        assert "<textarea" in field_of(form, "notes") and 'maxlength="2000"' in form.text
        count = field_of(form, "count")
        assert 'min="1"' in count and 'max="10"' in count and 'step="1"' in count
        assert 'value="3"' in count  # (the schema's default)
        assert "checked" in field_of(form, "urgent")
        assert "<select" in field_of(form, "market") and ">MY</option>" in form.text
        assert field_of(form, "markets").count('type="checkbox"') == 3
        assert "One item a line." in field_of(form, "tags")
        assert "Written as JSON." in field_of(form, "extra")

        unread = await http.post(
            "/console/specs/console_form/run",
            data={
                "csrftoken": csrf(form),
                "input.title": "Flood",
                "input.count": "three",
                "input.markets": ['"SG"'],
                "input.extra": '{"a": ',
            },
        )
        assert unread.status_code == 422
        assert "Write a whole number" in field_of(unread, "count")
        assert 'value="three"' in field_of(unread, "count")
        assert "This is not JSON:" in field_of(unread, "extra")
        assert "{&#34;a&#34;: </textarea>" in field_of(unread, "extra")
        assert 'value="&#34;SG&#34;" checked' in field_of(unread, "markets")
        assert "checked" not in field_of(unread, "urgent")  # (unticked is kept unticked)
        assert await run_ids(client, "console_form") == set()

        started = await http.post(
            "/console/specs/console_form/run",
            data={
                "csrftoken": csrf(unread),
                "input.title": "Flood",
                "input.notes": "line one\r\nline two",
                "input.count": "4",
                "input.market": '"MY"',
                "input.markets": ['"SG"', '"ID"'],
                "input.tags": "north\n\n south \n",
                "input.extra": '{"a": 1}',
            },
        )
        assert started.status_code == 303, html.unescape(started.text)
        run_id = started.headers["location"].rsplit("/", 1)[1]
    run_input = (await started_with(client, client.get_workflow_handle(run_id))).input
    assert run_input == {
        "title": "Flood",
        "notes": "line one\nline two",
        "count": 4,
        "urgent": False,
        "market": "MY",
        "markets": ["SG", "ID"],
        "tags": ["north", "south"],
        "extra": {"a": 1},
    }
    markets = await eventually(
        lambda: run_ids_in_market(client, "MY"), "the run to be listed in market MY"
    )
    assert run_id in markets


async def run_ids_in_market(client: Client, market: str) -> set[str] | None:
    query = f"{sa.SPEC.name} = 'console_form' AND {sa.MARKET.name} = '{market}'"
    return {run.id async for run in client.list_workflows(query)} or None


async def test_a_spec_the_compiler_refuses_offers_no_form(client, tmp_path):
    deal_specs(tmp_path)
    async with console(client, tmp_path) as http:
        page = await http.get("/console/specs/broken_deal/run")
        assert page.status_code == 422
        assert "The compiler refuses this spec, so it cannot run." in page.text
        assert 'href="/console/specs/broken_deal"' in page.text
        assert '<form method="post"' not in page.text and "input.company" not in page.text
        missing = await http.get("/console/specs/nothing/run")
        assert missing.status_code == 404
        form = await http.get("/console/specs/deal_review/run")
        forged = await http.post(  # another site's form: no CSRF token
            "/console/specs/deal_review/run",
            data={"input.company": "A", "input.deal_terms": "t", "input.amount_usd": "1"},
        )
        assert forged.status_code == 403 and form.status_code == 200


async def test_an_input_schema_without_properties_is_written_as_json(client, tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    free = {key: FORM_SPEC[key] for key in ("agents", "steps")} | {"name": "console_free"}
    free["steps"] = [{"id": "echo", "agent": "echo"}]
    (specs / "console_free.yaml").write_text(yaml.safe_dump(free, sort_keys=False))
    async with console(client, tmp_path) as http:
        form = await http.get("/console/specs/console_free/run")
        assert "Input (JSON)" in form.text and ">{}</textarea>" in form.text
        refused = await http.post(
            "/console/specs/console_free/run", data={"csrftoken": csrf(form), "input": "[1]"}
        )
        assert refused.status_code == 422
        assert "The input must be a JSON object" in refused.text
        assert ">[1]</textarea>" in refused.text
        started = await http.post(
            "/console/specs/console_free/run",
            data={"csrftoken": csrf(refused), "input": '{"note": "é"}'},
        )
        assert started.status_code == 303
        run_id = started.headers["location"].rsplit("/", 1)[1]
    run_input = (await started_with(client, client.get_workflow_handle(run_id))).input
    assert run_input == {"note": "é"}
