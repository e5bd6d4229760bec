"""``podium serve`` as a web or chat client meets it: a real uvicorn on a loopback port,
the real dev server and worker, an HTTP client reading the server-sent events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from podium.starters import fanout
from podium.starters.commands import serve as serve_command
from podium.starters.humans import send_decision
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import load_clients
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult
from starlette.applications import Starlette
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.workflow_streams import PollInput

from podium import RunEvent, TextAssembly
from tests.support.asgi_server import serving
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")

POLL = "__temporal_workflow_stream_poll"
"""The Update a subscriber polls a run's stream with."""
CHAT_TOKEN = "chat-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-0123456789abcdef"
WRITER = {
    "model": "scripted",
    "latency": "600ms",
    "script": [{"output": "Dear {{ name }}, thank you for writing to us about your order today."}],
}
AGENTS = {"agents": {"writer": WRITER, "echo": {"model": "scripted"}}}
DRAFT = {"id": "draft", "agent": "writer", "with": {"name": "input.name"}}
SPECS = {
    "live": {
        "steps": [DRAFT, {"id": "check", "agent": "echo", "with": {"draft": "steps.draft.output"}}]
    },
    "gated": {
        "steps": [
            DRAFT,
            {
                "id": "signoff",
                "needs": ["draft"],
                "approval": {"title": "Send?", "approvers": ["ann"]},
            },
        ]
    },
    "other": {"steps": [DRAFT]},
    "typed": {
        "input": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}},
        },
        "steps": [DRAFT],
    },
    "broken": {"steps": [{"id": "draft", "agent": "nobody"}]},
}


@dataclass
class Served:
    app: Starlette
    http: httpx.AsyncClient

    def watched(self) -> dict[str, int]:
        return self.app.state.feeds.watched()


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name, spec in SPECS.items():
        full = {"name": name, "agents": AGENTS, **spec, "output": "steps.draft.output"}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(full, sort_keys=False))
    return folder


@pytest.fixture
def clients_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PODIUM_TEST_CHAT_TOKEN", CHAT_TOKEN)
    monkeypatch.setenv("PODIUM_TEST_ADMIN_TOKEN", ADMIN_TOKEN)
    clients = [
        {
            "name": "chat",
            "token_env": "PODIUM_TEST_CHAT_TOKEN",
            "specs": [*SPECS.keys() - {"other"}],
        },
        {"name": "ops", "token_env": "PODIUM_TEST_ADMIN_TOKEN", "specs": ["*"]},
    ]
    path = tmp_path / "clients.yaml"
    path.write_text(yaml.safe_dump({"clients": clients}))
    return path


@pytest.fixture
def serve(client: Client, specs: Path, clients_file: Path) -> Callable[..., object]:
    """``async with serve(idle_s=…) as served``: the app on a real uvicorn, and an HTTP
    client for it."""

    @asynccontextmanager
    async def running(idle_s: float = 0.2) -> AsyncIterator[Served]:
        app = build_app(client, specs=specs, clients=load_clients(clients_file), idle_s=idle_s)
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
            yield Served(app, http)

    return running


def bearer(token: str = CHAT_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def start(http: httpx.AsyncClient, spec: str, token: str = CHAT_TOKEN, **run_input) -> str:
    answer = await http.post(
        "/runs", json={"spec": spec, "input": run_input}, headers=bearer(token)
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["events"] == f"/runs/{body['run_id']}/events"
    return body["run_id"]


async def read_events(
    http: httpx.AsyncClient,
    run_id: str,
    *,
    token: str = CHAT_TOKEN,
    last_event_id: int | None = None,
    until: Callable[[RunEvent], bool] = lambda event: False,
    ticket: str | None = None,
) -> list[RunEvent]:
    """Read the run's SSE stream until it ends (or ``until`` an event), checking that each
    event's SSE ``id`` and ``event`` are its offset and kind (``ticket``: as a browser's
    EventSource reads it, with no Authorization header)."""
    headers = bearer(token) if ticket is None else {}
    params = {"ticket": ticket} if ticket is not None else {}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events: list[RunEvent] = []
    async with http.stream(
        "GET", f"/runs/{run_id}/events", headers=headers, params=params
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith(":"):  # a keep-alive comment
                continue
            if line:
                key, _, value = line.partition(":")
                fields[key] = value.removeprefix(" ")
                continue
            if "data" in fields:
                event = RunEvent.model_validate_json(fields["data"])
                assert (fields["id"], fields["event"]) == (str(event.offset), event.kind)
                events.append(event)
                if until(event):
                    break
            fields = {}
    return events


def assembled(events: list[RunEvent], step: str) -> str:
    text = TextAssembly()
    for event in events:
        text.add(event)
    (call,) = {e.call for e in events if e.kind == "text.delta" and e.step == step}
    return text.text(call)


async def polls(client: Client, run_id: str) -> list[int]:
    """The offsets the run's stream was polled from (each poll is an accepted Update)."""
    history = await client.get_workflow_handle(run_id).fetch_history()
    offsets = []
    for event in history.events:
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            if request.input.name != POLL:  # e.g. a person's decision
                continue
            [poll] = await client.data_converter.decode(request.input.args.payloads, [PollInput])
            offsets.append(poll.from_offset)
    return offsets


async def test_a_chat_client_starts_a_run_and_reads_its_text_as_it_is_written(client, serve):
    async with serve() as served:
        run_id = await start(served.http, "live", name="Siti")
        events = await read_events(served.http, run_id)
    result = await client.get_workflow_handle(run_id, result_type=RunResult).result()

    assert [e.offset for e in events] == list(range(len(events)))
    assert events[-1].kind == "run.ended"
    assert events[-1].data["output"] == result.output
    assert assembled(events, "draft") == result.output
    deltas = [e for e in events if e.kind == "text.delta" and e.step == "draft"]
    completed = next(e for e in events if e.kind == "step.completed" and e.step == "draft")
    assert len(deltas) > 1 and deltas[0].offset < completed.offset  # written as it came


async def test_a_client_that_reconnects_gets_exactly_the_rest(client, serve):
    async with serve() as served:
        run_id = await start(served.http, "gated", name="Budi")
        seen = await read_events(served.http, run_id, until=lambda e: e.kind == "step.waiting")

        async def dropped() -> bool:  # nobody watches: the server stops reading the run
            return run_id not in served.watched()

        await eventually(dropped, "the server to stop reading the run")
        handle = client.get_workflow_handle(run_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

        rest_read = asyncio.create_task(
            read_events(served.http, run_id, last_event_id=seen[-1].offset)
        )

        async def watched() -> bool:
            return served.watched().get(run_id) == 1

        await eventually(watched, "the reconnected client to be served")
        request = seen[-1].data["request"]
        await send_decision(handle, DecisionInput(request_id=request, outcome="approve", by="ann"))
        rest = await rest_read
        everything = await read_events(served.http, run_id)  # a new client, from the start
        after_query = await served.http.get(
            f"/runs/{run_id}/events", params={"after": seen[-1].offset}, headers=bearer()
        )
        finished = await served.http.get(
            f"/runs/{run_id}/events",
            headers={**bearer(), "Last-Event-ID": str(everything[-1].offset)},
        )

    assert rest[0].offset == seen[-1].offset + 1
    assert seen + rest == everything  # no gap, no repeat
    assert [e.offset for e in everything] == list(range(len(everything)))
    assert rest[-1].kind == "run.ended"
    assert assembled(everything, "draft") == rest[-1].data["output"]
    assert after_query.text.count("event: ") == len(rest)  # ?after= is Last-Event-ID too
    assert finished.status_code == 204  # nothing left: an EventSource stops reconnecting


async def test_tokens_and_allowed_specs(client, serve, caplog):
    caplog.set_level(logging.INFO, logger="podium.serve")
    async with serve() as served:
        http = served.http
        body = {"spec": "live", "input": {"name": "Ana"}}
        missing = await http.post("/runs", json=body)
        wrong = await http.post("/runs", json=body, headers=bearer("not-" + CHAT_TOKEN))
        not_allowed = await http.post("/runs", json={"spec": "other"}, headers=bearer())
        others_run = await start(http, "other", ADMIN_TOKEN, name="Ana")
        watch_missing = await http.get(f"/runs/{others_run}/events")
        watch_not_allowed = await http.get(f"/runs/{others_run}/events", headers=bearer())
        watched_by_ops = await read_events(http, others_run, token=ADMIN_TOKEN)
        unknown_run = await http.get("/runs/no-such-run/events", headers=bearer())

    for refused in (missing, wrong, watch_missing):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "token" in refused.json()["error"]
    assert not_allowed.status_code == 403
    assert not_allowed.json()["error"] == "client 'chat' may not start runs of spec 'other'"
    assert watch_not_allowed.status_code == 403
    assert watch_not_allowed.json()["error"] == "client 'chat' may not watch runs of spec 'other'"
    assert watched_by_ops[-1].kind == "run.ended"
    assert unknown_run.status_code == 404
    assert unknown_run.json() == {"error": "no run 'no-such-run'"}
    assert f"client ops started run {others_run}" in caplog.text
    assert CHAT_TOKEN not in caplog.text and ADMIN_TOKEN not in caplog.text


async def test_bad_requests_are_refused_with_what_is_wrong(serve):
    async with serve() as served:
        http = served.http

        async def post(body: object, token: str = CHAT_TOKEN) -> httpx.Response:
            if isinstance(body, str):
                return await http.post("/runs", content=body, headers=bearer(token))
            return await http.post("/runs", json=body, headers=bearer(token))

        unknown = await post({"spec": "nowhere"}, ADMIN_TOKEN)  # chat's: 403, before looking
        untyped = await post({"spec": "typed", "input": {"name": 7}})
        broken = await post({"spec": "broken"})
        not_json = await post("spec=live")
        no_spec = await post({"input": {}})
        a_path = await post({"spec": "../specs/live"})

    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no spec named 'nowhere' on this server"}
    assert untyped.status_code == 422
    assert untyped.json()["error"] == "the input does not match the input schema of spec 'typed'"
    assert "name" in untyped.json()["problems"][0]["message"]
    assert broken.status_code == 422
    assert broken.json()["error"] == "spec 'broken' does not compile"
    [problem] = broken.json()["problems"]
    assert "nobody" in problem["message"] and problem["file"] == "broken.yaml" and problem["line"]
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]
    assert no_spec.status_code == 400 and no_spec.json()["problems"][0]["where"] == "spec"
    assert a_path.status_code == 400


async def test_twenty_clients_of_one_run_cost_it_what_one_costs(client, serve):
    async with serve() as served:
        alone = await start(served.http, "live", name="Siti")
        alone_events = await read_events(served.http, alone)
        crowded = await start(served.http, "live", name="Siti")
        crowd = await asyncio.gather(*(read_events(served.http, crowded) for _ in range(20)))

    assert all(events == crowd[0] for events in crowd)
    assert crowd[0][-1].kind == "run.ended"
    assert [e.kind for e in crowd[0] if not e.kind.startswith(("text.", "cost"))] == [
        e.kind for e in alone_events if not e.kind.startswith(("text.", "cost"))
    ]
    one, twenty = await polls(client, alone), await polls(client, crowded)
    assert len(twenty) == len(set(twenty)), "each offset polled once: one reader upstream"
    assert 0 < len(twenty) < 2 * len(one), (len(one), len(twenty))


async def test_a_client_behind_the_buffer_catches_up_without_polling_the_run(
    client, serve, monkeypatch
):
    monkeypatch.setattr(fanout, "BUFFER", 3)  # the server keeps only the last few events
    waiting = lambda event: event.kind == "step.waiting"  # noqa: E731
    async with serve(idle_s=60) as served:
        run_id = await start(served.http, "gated", name="Siti")
        first = await read_events(served.http, run_id, until=waiting)
        late = await read_events(served.http, run_id, until=waiting)  # the run still waits
        handle = client.get_workflow_handle(run_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        request = first[-1].data["request"]
        await send_decision(handle, DecisionInput(request_id=request, outcome="approve", by="ann"))

    assert len(first) > 2 * 3, "the buffer moved on before the late client came"
    assert late == first
    offsets = await polls(client, run_id)
    assert len(offsets) == len(set(offsets)), f"the late client polled: {offsets}"


async def test_serve_refuses_to_start_without_clients(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    assert await serve_command.main(None) == 2
    said = capsys.readouterr().err
    assert "give --clients FILE" in said and "--insecure-no-auth" in said
    assert await serve_command.main(None, host="0.0.0.0", insecure_no_auth=True) == 2
    assert "loopback only" in capsys.readouterr().err


async def test_clients_file_problems_name_lines_never_tokens(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PODIUM_TEST_SHORT", "short")
    monkeypatch.setenv("PODIUM_TEST_SAME", CHAT_TOKEN)
    monkeypatch.setenv("PODIUM_TEST_SAME_TOO", CHAT_TOKEN)
    monkeypatch.delenv("PODIUM_TEST_UNSET", raising=False)
    clients = [
        {"name": "a", "token_env": "PODIUM_TEST_UNSET", "specs": ["*"]},
        {"name": "b", "token_env": "PODIUM_TEST_SHORT", "specs": ["*"]},
        {"name": "c", "token_env": "PODIUM_TEST_SAME", "specs": ["*"]},
        {"name": "d", "token_env": "PODIUM_TEST_SAME_TOO", "specs": ["*"]},
    ]
    path = tmp_path / "clients.yaml"
    path.write_text(yaml.safe_dump({"clients": clients}, sort_keys=False))
    assert await serve_command.main(None, clients_file=str(path), specs=str(tmp_path)) == 2
    said = capsys.readouterr().err
    assert f"{path}:3: clients[0].token_env: PODIUM_TEST_UNSET is not set" in said
    assert "PODIUM_TEST_SHORT is shorter than 16 characters" in said
    assert "client 'd' has the same token as 'c'" in said
    assert CHAT_TOKEN not in said and "short\n" not in said
