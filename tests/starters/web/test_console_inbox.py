"""The console's inbox and a request's page, as a person meets them over HTTP (a real
uvicorn on loopback, the dev server): what waits on me, the form that answers it, CSRF on
the form, and the run's own rule on who may decide."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.settings import ConsoleSettings
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client

from tests.support.asgi_server import serving
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
HEADER = "X-Test-User"
EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
SPEC = {
    "name": "console_deal",
    "agents": {"agents": {"w": {"model": "scripted", "script": [{"output": EVIL}]}}},
    "steps": [
        {"id": "draft", "agent": "w"},
        {
            "id": "signoff",
            "approval": {
                "title": "Send the quote?",
                "approvers": ["ann"],
                "details": "steps.draft.output",
            },
        },
    ],
    "output": "steps.signoff.output",
}


@asynccontextmanager
async def console(client: Client, tmp_path) -> AsyncIterator[str]:
    settings = ConsoleSettings(trusted_header=HEADER, secret="s" * 64)
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    app = build_app(client, specs=specs, clients=Clients([]), console=settings)
    async with serving(app) as base:
        yield base


async def waiting_run(client: Client, write_spec, spec: dict = SPEC) -> str:
    handle = await start_run(client, compile_spec(write_spec(spec)), {})

    async def asked() -> bool:
        return bool((await handle.query("status", result_type=RunState)).open_requests())

    await eventually(asked, "the approval request")
    return handle.id


def as_person(name: str) -> dict[str, str]:
    return {HEADER: name}


async def test_an_approver_sees_the_request_and_answers_it(client, write_spec, tmp_path):
    run_id = await waiting_run(client, write_spec)
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        inbox = await http.get("/console/inbox", headers=as_person("ann"))
        assert inbox.status_code == 200
        assert "Send the quote?" in inbox.text and run_id in inbox.text
        page = await http.get(
            f"/console/runs/{run_id}/requests/signoff-1", headers=as_person("ann")
        )
        assert page.status_code == 200
        assert "<script>window.__pwned" not in page.text  # the agent's text, escaped
        assert "&lt;script&gt;window.__pwned" in page.text
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)

        forged = await http.post(
            f"/console/runs/{run_id}/requests/signoff-1",
            data={"outcome": "approve"},  # no CSRF token: another site's form
            headers=as_person("ann"),
        )
        assert forged.status_code == 403
        state = await client.get_workflow_handle(run_id).query("status", result_type=RunState)
        assert state.open_requests(), "a forged form decided nothing"

        answer = await http.post(
            f"/console/runs/{run_id}/requests/signoff-1",
            data={"csrftoken": token, "outcome": "approve", "comment": "fine by me"},
            headers=as_person("ann"),
        )
        assert answer.status_code == 303
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    [request] = result.state.requests
    assert (request.decision.outcome, request.decision.by, request.decision.comment) == (
        "approve",
        "ann",
        "fine by me",
    )


async def test_the_wrong_person_cannot_decide(client, write_spec, tmp_path):
    run_id = await waiting_run(client, write_spec)
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        inbox = await http.get("/console/inbox", headers=as_person("bob"))
        assert inbox.status_code == 200
        assert run_id not in inbox.text  # (other tests' runs may wait on anyone: shown)
        url = f"/console/runs/{run_id}/requests/signoff-1"
        page = await http.get(url, headers=as_person("bob"))
        assert "This request waits on ann, not on you." in page.text
        assert 'value="approve"' not in page.text
        token = http.cookies["csrftoken"]
        tried = await http.post(
            url, data={"csrftoken": token, "outcome": "approve"}, headers=as_person("bob")
        )
        assert tried.status_code == 400
        assert "Not recorded:" in tried.text and "bob" in tried.text
    state = await client.get_workflow_handle(run_id).query("status", result_type=RunState)
    assert state.open_requests()[0].status == "open"


async def test_pages_need_someone_signed_in(client, tmp_path):
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        answer = await http.get("/console/inbox")
        assert answer.status_code == 303
        assert answer.headers["location"].endswith("/console/sign-in?next=%2Fconsole%2Finbox")


async def test_every_console_page_allows_only_its_own_scripts(client, tmp_path):
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        for path in ("/console/sign-in", "/console/inbox"):
            page = await http.get(path, headers=as_person("ann"), follow_redirects=True)
            policy = page.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


async def test_the_request_page_says_who_is_next_and_what_happens_at_the_end(
    client, write_spec, tmp_path
):
    spec = {**SPEC, "name": "console_escalating"}
    spec["steps"] = [
        SPEC["steps"][0],
        {
            "id": "signoff",
            "approval": {
                **SPEC["steps"][1]["approval"],
                "escalate": [{"to": ["cfo"], "after": "4h"}],
                "timeout": "1d",
                "on_timeout": "reject",
            },
        },
    ]
    run_id = await waiting_run(client, write_spec, spec)
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        page = await http.get(
            f"/console/runs/{run_id}/requests/signoff-1", headers=as_person("ann")
        )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert re.search(r"Then, from \d{4}-\d\d-\d\d \d\d:\d\d UTC cfo", text), text
    assert re.search(r"If nobody answers by \S+ \S+ UTC rejected by default", text), text
    await client.get_workflow_handle(run_id).cancel()
