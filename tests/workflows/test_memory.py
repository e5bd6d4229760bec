"""Memory across runs on the real dev server: support_triage's second reply uses the
customer's first ticket; a search picks the facts sharing most words; facts come with
their provenance; a replay reads them from history (the store forgotten meanwhile); a
forgotten subject's facts never reach a later run, nor does a fact written after it by a
run started before; with encryption on, the store holds ciphertext."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from podium.activities.contracts import AgentCall
from podium.activities.memory.settings import close_all, open_store
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import new_key
from podium.compiler.inputs import check_input
from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workers.config import WORKFLOWS
from podium.workers.worker import workflow_runner
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Replayer

from tests.conftest import ROOT
from tests.support.polling import eventually
from tests.support.replay_values import SendsRecorded, differences
from tests.test_encryption_keys import connect, keys, workers

pytestmark = pytest.mark.usefixtures("worker")

FIRST = "I was charged twice for my order #4411, please refund one."
SECOND = "The app shows an error when I log in."
ECHO = {"model": "function:tests.support.agents:echo"}


@pytest.fixture
def memory_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A memory store of this test's own (the in-process workers read the variable)."""
    path = tmp_path / "memory.db"
    monkeypatch.setenv("PODIUM_MEMORY_URL", f"sqlite://{path}")
    yield path
    close_all()


async def triage(client: Client, **run_input: Any) -> tuple[str, RunResult]:
    plan = compile_spec(ROOT / "specs" / "support_triage.yaml", offline=True)
    run_input = {"name": "Siti", **run_input}
    check_input(plan, run_input)
    handle = await start_run(client, plan, run_input)
    return handle.id, await handle.result()


async def agent_calls(handle: WorkflowHandle[Any, Any]) -> list[AgentCall]:
    """The inputs of the run's agent calls, from its history."""
    converter = data_converter()
    calls = []
    async for event in handle.fetch_history_events():
        scheduled = event.activity_task_scheduled_event_attributes
        if scheduled.activity_type.name == "podium.run_agent":
            [call] = await converter.decode(scheduled.input.payloads, [AgentCall])
            calls.append(call)
    return calls


async def activity_names(handle: WorkflowHandle[Any, Any]) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        async for e in handle.fetch_history_events()
        if e.HasField("activity_task_scheduled_event_attributes")
    ]


async def test_support_triage_remembers_the_customers_earlier_ticket(client, memory_db):
    first_id, first = await triage(client, customer="C-1042", message=FIRST)
    assert first.output["category"] == "billing"
    assert "earlier ticket" not in first.output["reply"]

    second_id, second = await triage(client, customer="C-1042", message=SECOND)
    reply = second.output["reply"]
    assert second.output["category"] == "technical" and "Update the app to 4.2" in reply
    assert 'I also see your earlier ticket ("I was charged twice for my order #4411' in reply

    calls = await agent_calls(client.get_workflow_handle(second_id))
    writer = [c for c in calls if c.agent.name == "reply-writer"]
    [earlier] = writer[0].inputs["memory"]  # with where it came from
    assert earlier["fact"] == {
        "ticket": FIRST,
        "category": "billing",
        "reply": first.output["reply"],
    }
    assert earlier["run"] == first_id and earlier["step"] == "reply" and earlier["at"]

    _, stranger = await triage(client, customer="C-2077", message=SECOND)
    assert "earlier ticket" not in stranger.output["reply"]  # another customer's facts

    anonymous_id, anonymous = await triage(client, message=SECOND)  # no customer: no memory
    assert "earlier ticket" not in anonymous.output["reply"]
    names = await activity_names(client.get_workflow_handle(anonymous_id))
    assert not [n for n in names if n.startswith("podium.memory")]


async def test_the_facts_sharing_most_words_come_first_newest_among_equals(
    client, write_spec, memory_db
):
    catalog = {"agents": {"keeper": ECHO, "reader": ECHO}}
    keep = write_spec(
        {
            "name": "keep",
            "agents": "agents.yaml",
            "memory": {"subject": "input.vendor"},
            "steps": [
                {
                    "id": "note",
                    "agent": "keeper",
                    "with": {"value": "input.note"},
                    "memory": {"write": {"fact": "steps.note.output"}},
                }
            ],
        },
        catalog,
        name="keep.yaml",
    )
    read = write_spec(
        {
            "name": "read",
            "agents": "agents.yaml",
            "memory": {"subject": "input.vendor"},
            "steps": [
                {
                    "id": "look",
                    "agent": "reader",
                    "with": {"question": "input.question"},
                    "memory": {"read": {"limit": 2, "search": "input.question"}},
                }
            ],
        },
        name="read.yaml",
    )
    notes = [
        "Invoice 77 paid late",
        "Ships from Surabaya, invoice in IDR",
        "Nothing to report",
        "Late delivery to Jakarta",
        "invoice 81 paid on time",
    ]
    for note in notes:
        await (
            await start_run(client, compile_spec(keep), {"vendor": "V-9", "note": note})
        ).result()
    await (
        await start_run(client, compile_spec(keep), {"vendor": "V-1", "note": "late invoice"})
    ).result()

    async def found(question: str) -> list[str]:
        handle = await start_run(
            client, compile_spec(read), {"vendor": "V-9", "question": question}
        )
        result = await handle.result()
        return [f["fact"] for f in result.output["memory"]]

    # "late" + "invoice": 77 holds both; then the newest holding one of them
    assert await found("Late invoice?") == ["Invoice 77 paid late", "invoice 81 paid on time"]
    assert await found("Anything about JAKARTA") == ["Late delivery to Jakarta"]
    assert await found("unrelated words") == []
    assert await found("") == ["invoice 81 paid on time", "Late delivery to Jakarta"]  # newest


async def test_a_replay_reads_the_facts_from_the_history_not_the_store(client, memory_db):
    await triage(client, customer="C-7", message=FIRST)
    second_id, _ = await triage(client, customer="C-7", message=SECOND)
    assert open_store().forget("C-7", by="test", at=_now()) == 2  # the store no longer has them

    history = await client.get_workflow_handle(second_id).fetch_history()
    converter = data_converter()
    sends = SendsRecorded(converter)
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=converter,
        workflow_runner=workflow_runner(),
        interceptors=[sends],
    )
    await replayer.replay_workflow(history)  # raises on any non-determinism
    assert not differences(sends.sent, history)  # the writer got the same memory
    assert "podium.memory_read" in {name for _, name, _ in sends.sent}


async def test_a_forgotten_customer_is_a_stranger_to_later_runs(client, write_spec, memory_db):
    await triage(client, customer="C-88", message=FIRST)
    store = open_store()
    assert store.forget("C-88", by="dpo", at=_now(), reason="request 12") == 1
    _, after = await triage(client, customer="C-88", message=SECOND)
    assert "earlier ticket" not in after.output["reply"]

    # A run that started before the erasure and writes after it keeps nothing.
    spec = write_spec(
        {
            "name": "slow_writer",
            "agents": {"agents": {"keeper": ECHO}},
            "memory": {"subject": "input.customer"},
            "steps": [
                {"id": "wait", "approval": {"title": "Go on?"}},
                {
                    "id": "note",
                    "agent": "keeper",
                    "with": {"value": "input.note"},
                    "memory": {"write": {"fact": "steps.note.output"}},
                },
            ],
        }
    )
    handle = await start_run(client, compile_spec(spec), {"customer": "C-88", "note": "VIP"})
    request = await _open_request(handle)
    assert store.forget("C-88", by="dpo", at=_now()) == 1  # the fact from `after`
    await send_decision(handle, DecisionInput(request_id=request, outcome="approve", by="x"))
    await handle.result()
    assert store.recent("C-88", 0, _now()) == []
    assert [line.facts for line in store.audit("C-88")] == [1, 1]


async def test_a_fact_over_64_kb_fails_its_step_by_name(client, write_spec, memory_db):
    spec = write_spec(
        {
            "name": "big_fact",
            "agents": {"agents": {"keeper": ECHO}},
            "memory": {"subject": "input.customer"},
            "steps": [
                {
                    "id": "note",
                    "agent": "keeper",
                    "with": {"value": "input.note"},
                    "memory": {"write": {"fact": "steps.note.output"}},
                }
            ],
        }
    )
    handle = await start_run(client, compile_spec(spec), {"customer": "C-1", "note": "x" * 70_000})
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    message = str(failed.value.cause)
    assert "step 'note'" in message and "MemoryFactTooLarge" in message
    assert "facts are at most 64 KB" in message
    assert open_store().recent("C-1", 0, _now()) == []


async def test_with_encryption_the_store_holds_only_ciphertext(address, write_spec, memory_db):
    secret = "passport A1234567 lives at Jalan Merdeka 7"
    spec = write_spec(
        {
            "name": "secret_memory",
            "agents": {"agents": {"keeper": ECHO}},
            "memory": {"subject": "input.customer"},
            "steps": [
                {
                    "id": "note",
                    "agent": "keeper",
                    "with": {"value": "input.note", "question": "input.question"},
                    "memory": {
                        "read": {"search": "input.question"},
                        "write": {"fact": "steps.note.output.value"},
                    },
                }
            ],
        }
    )
    settings = keys(new_key())
    async with workers(address, settings):
        client = await connect(address, settings)
        plan = compile_spec(spec)
        for note in (secret, "likes durian"):
            run_input = {"customer": "C-5", "note": note, "question": "none"}
            await (await start_run(client, plan, run_input)).result()
        run_input = {"customer": "C-5", "note": "-", "question": "Where is Merdeka?"}
        result = await (await start_run(client, plan, run_input)).result()
    assert [f["fact"] for f in result.output["memory"]] == [secret]  # searched on the worker
    stored = b"".join(p.read_bytes() for p in memory_db.parent.glob("memory.db*"))
    assert b"Merdeka" not in stored and b"durian" not in stored
    assert b"binary/encrypted" in stored


async def _open_request(handle: WorkflowHandle[Any, Any]) -> str:
    async def first() -> str | None:
        state = await handle.query("status", result_type=RunState)
        return state.open_requests()[0].id if state.open_requests() else None

    return await eventually(first, f"{handle.id} to ask someone")


def _now() -> datetime:
    return datetime.now(UTC)
