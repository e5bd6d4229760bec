"""A run's live event stream as a subscriber meets it: ``podium.subscribe`` on a run of
the real dev server — step events in order, agents' text as it is written, resuming from
an offset, and the text of every call assembling to exactly its answer."""

from __future__ import annotations

import asyncio

import pytest
from podium import RunEvent, TextAssembly, subscribe
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run

pytestmark = pytest.mark.usefixtures("worker")

WRITER = {
    "model": "scripted",
    "latency": "600ms",
    "script": [{"output": "Dear {{ name }}, thank you for writing to us about your order today."}],
}


def two_steps(writer: dict = WRITER) -> dict:
    return {
        "name": "live",
        "agents": {"agents": {"writer": writer, "echo": {"model": "scripted"}}},
        "steps": [
            {"id": "draft", "agent": "writer", "with": {"name": "input.name"}},
            {"id": "check", "agent": "echo", "with": {"draft": "steps.draft.output"}},
        ],
        "output": "steps.draft.output",
    }


async def collect(client, run_id: str, after: int | None = None) -> list[RunEvent]:
    return [event async for event in subscribe(client, run_id, after=after)]


async def test_a_followed_run_streams_its_steps_and_its_text(client, write_spec):
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Siti"}, follow=True)
    events = await asyncio.wait_for(collect(client, handle.id), 60)
    result = await handle.result()

    assert [e.offset for e in events] == list(range(len(events)))  # in order, no gaps
    kinds = [(e.kind, e.step) for e in events if not e.kind.startswith(("text.", "cost"))]
    assert kinds == [
        ("run.started", None),
        ("step.started", "draft"),
        ("step.completed", "draft"),
        ("step.started", "check"),
        ("step.completed", "check"),
        ("run.ended", None),
    ]
    assert events[-1].data["status"] == "completed"
    assert events[-1].data["output"] == result.output

    text = TextAssembly()
    for event in events:
        text.add(event)
    draft_calls = {e.call for e in events if e.kind == "text.delta" and e.step == "draft"}
    assert len(draft_calls) == 1
    (call,) = draft_calls
    assert text.text(call) == result.output
    deltas = [e for e in events if e.kind == "text.delta" and e.call == call]
    assert len(deltas) > 1, "the scripted model writes its answer in pieces"
    # the text came while the step ran, before it completed
    completed = next(e for e in events if e.kind == "step.completed" and e.step == "draft")
    assert deltas[0].offset < completed.offset


async def test_a_subscriber_resumes_after_the_last_offset_it_saw(client, write_spec):
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Budi"}, follow=True)
    await handle.result()
    everything = await collect(client, handle.id)
    middle = everything[len(everything) // 2]
    rest = await collect(client, handle.id, after=middle.offset)
    assert [e.offset for e in rest] == [e.offset for e in everything if e.offset > middle.offset]
    assert rest[-1].kind == "run.ended"


async def test_a_run_nobody_follows_streams_no_text(client, write_spec):
    """Text costs the run a signal per batch: without a follower it is not sent."""
    plan = compile_spec(write_spec(two_steps()))
    handle = await start_run(client, plan, {"name": "Ana"})
    await handle.result()
    events = await collect(client, handle.id)
    assert not [e for e in events if e.kind.startswith("text.")]
    assert [e.kind for e in events][-1] == "run.ended"
    history = await handle.fetch_history()
    signals = [e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")]
    assert signals == []
