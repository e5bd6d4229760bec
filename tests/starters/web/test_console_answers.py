"""Every kind of request answered from the console's form, as the CLI's `podium resolve`
answers it: a failed step given its output by hand (checked against the step's schema by
the run), a budget raised — and what the form cannot hold refused before anything is sent."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunResult, RunState

from tests.starters.web.test_console_inbox import as_person, console
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
OUT = {"type": "object", "required": ["score"], "properties": {"score": {"type": "integer"}}}
BROKEN = {
    "model": "scripted",
    "output": OUT,
    "retry": {"max_attempts": 1},
    "faults": {"fail_times": 99, "error": "ProviderServerError", "message": "provider down"},
}


async def open_request(client, plan, run_input=None) -> tuple[str, str]:
    handle = await start_run(client, plan, run_input or {})

    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    state = await eventually(asked, "a request to open")
    return handle.id, state.open_requests()[0].id


async def answer(http, run_id: str, request_id: str, who: str, **form) -> httpx.Response:
    url = f"/console/runs/{run_id}/requests/{request_id}"
    page = await http.get(url, headers=as_person(who))
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return await http.post(url, data={"csrftoken": token, **form}, headers=as_person(who))


async def test_a_failed_step_is_given_its_output_by_hand(client, write_spec, tmp_path):
    spec = {
        "name": "console_failure",
        "agents": {"agents": {"broken": BROKEN}},
        "steps": [
            {"id": "score", "agent": "broken", "on_error": "escalate", "escalate_to": ["ops"]}
        ],
        "output": "steps.score.output",
    }
    run_id, request_id = await open_request(client, compile_spec(write_spec(spec)))
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        page = await http.get(
            f"/console/runs/{run_id}/requests/{request_id}", headers=as_person("ops")
        )
        assert "provider down" in page.text  # what failed
        for label in ("Retry the step", "Use my output", "Skip the step", "Stop the run"):
            assert label in page.text
        assert "Approve" not in page.text
        refused = await answer(http, run_id, request_id, "ops", outcome="supply", output="high")
        assert refused.status_code == 400
        assert "must be JSON that matches its schema" in html.unescape(refused.text)
        refused = await answer(
            http, run_id, request_id, "ops", outcome="supply", output='{"score": "high"}'
        )
        assert refused.status_code == 400  # (the run's own check, its words escaped)
        assert "does not match the step's output schema" in html.unescape(refused.text)
        done = await answer(
            http, run_id, request_id, "ops", outcome="supply", output='{"score": 3}'
        )
        assert done.status_code == 303
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    assert result.output == {"score": 3}


async def test_a_budget_is_raised_from_the_console(client, write_spec, tmp_path):
    writer = {"model": "scripted", "price": {"input_per_mtok": 1000, "output_per_mtok": 1000}}
    spec = {
        "name": "console_budget",
        "agents": {"agents": {"w": writer}},
        "budget": {"usd": 0.000001, "on_exceed": "escalate", "escalate_to": ["cfo"]},
        "steps": [{"id": "a", "agent": "w"}],
        "output": "steps.a.output",
    }
    run_id, request_id = await open_request(client, compile_spec(write_spec(spec)))
    async with console(client, tmp_path) as base, httpx.AsyncClient(base_url=base) as http:
        refused = await answer(http, run_id, request_id, "cfo", outcome="raise", usd="lots")
        assert refused.status_code == 400 and "must be positive numbers" in refused.text
        done = await answer(
            http, run_id, request_id, "cfo", outcome="raise", usd="5", comment="peak week"
        )
        assert done.status_code == 303, done.text
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()
    assert result.state.budget is not None and result.state.budget.usd == 5
    [request] = result.state.requests
    assert (request.decision.outcome, request.decision.comment) == ("raise", "peak week")
