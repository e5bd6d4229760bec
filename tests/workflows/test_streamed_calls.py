"""Agents of an OpenAI-compatible provider streaming to a followed run, as a subscriber
sees it on the dev server: the text comes while the model writes it, assembles to exactly
each step's output — through a stream broken off and retried, and from a server that does
not stream — and a run nobody follows asks for no stream at all (the stream server on
loopback is the judge of what was asked)."""

from __future__ import annotations

import json

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run

from tests.support.following import Follower
from tests.support.polling import eventually
from tests.support.stream_server import TEXT, stream_server, tokens

pytestmark = pytest.mark.usefixtures("worker")

SCHEMA = {
    "type": "object",
    "required": ["category", "urgent"],
    "properties": {"category": {"enum": ["shipping", "billing"]}, "urgent": {"type": "boolean"}},
}
TRIAGE = {"category": "shipping", "urgent": False}
FAST = {"initial_interval": "50ms", "max_interval": "200ms", "max_attempts": 3}


def catalog(url: str) -> dict:
    return {
        "providers": {"mock": {"base_url": url, "circuit": False}},
        "agents": {
            "writer": {"model": "mock:writer", "retry": FAST},
            "triage": {"model": "mock:triage", "output": SCHEMA, "retry": FAST},
        },
    }


def spec(*steps: str) -> dict:
    agents = {"reply": "writer", "triage": "triage"}
    return {
        "name": "streamed",
        "agents": "agents.yaml",
        "steps": [
            {"id": step, "agent": agents[step], "with": {"message": "input.message"}}
            for step in steps
        ],
    }


async def follow(client, write_spec, url: str, *steps: str):
    plan = compile_spec(write_spec(spec(*steps), catalog(url)))
    handle = await start_run(client, plan, {"message": "where is my parcel?"}, follow=True)
    return handle, Follower(client, handle.id)


async def test_each_answer_streams_while_the_model_writes_it(client, write_spec):
    with stream_server(answers={"triage": TRIAGE}, pause_after=25) as llm:
        handle, run = await follow(client, write_spec, llm.url, "reply", "triage")

        async def batches_in() -> bool:
            return len(run.of("text.delta", "reply")) >= 2

        await eventually(batches_in, "two batches of the reply's text")
        assert not llm.entries(), "the model is still writing (held after 25 tokens)"
        assert not run.of("step.completed", "reply")
        llm.resume()
        result = await handle.result()
        events = await run.ended()
        journal = llm.entries()
    assert all(entry.stream for entry in journal)
    assert not run.of("text.retract"), "nothing failed: nothing is taken back"
    [reply] = run.calls("reply")
    assert run.assembled(reply) == result.state.step("reply").output == TEXT
    deltas = run.of("text.delta", "reply")
    completed = run.of("step.completed", "reply")[0]
    assert len(deltas) > 2 and all(d.offset < completed.offset for d in deltas)
    [triage] = run.calls("triage")
    output = result.state.step("triage").output
    assert output == TRIAGE
    assert run.assembled(triage) == json.dumps(output)  # the JSON text, as it was written
    assert len(run.of("text.delta", "triage")) > 1
    assert events[-1].kind == "run.ended"


@pytest.mark.parametrize("failure", ["cut", "error"])
async def test_a_stream_broken_off_is_retracted_and_the_retry_streams_the_answer_once(
    client, write_spec, failure
):
    with stream_server(fail=failure, fail_after=8) as llm:
        handle, run = await follow(client, write_spec, llm.url, "reply")
        result = await handle.result()
        await run.ended()
        journal = llm.entries()
    assert [e.outcome for e in journal] == [failure, "ok"]
    assert journal[0].key == journal[1].key  # one call, retried
    [call] = run.calls("reply")
    output = result.state.step("reply").output
    assert run.assembled(call) == output == TEXT
    broken, retried = run.takes(call)
    assert broken.retracted and not retried.retracted
    [retract] = [e for e in run.of("text.retract") if e.call == call]
    assert retract.take == broken.id and retract.attempt == 1
    # what the broken take streamed is what the server sent (or less): none twice
    assert "".join(tokens(TEXT)[:8]).startswith(broken.text)
    assert retried.text == output, "the retry's text: each delta once, none lost"


async def test_a_call_refused_before_any_text_costs_readers_nothing(client, write_spec):
    """A 500 before the first token: that take sent nothing (its start goes out with its
    first text), so there is nothing to take back; the retry's take streams the answer."""
    with stream_server(fail="500") as llm:
        handle, run = await follow(client, write_spec, llm.url, "reply")
        result = await handle.result()
        await run.ended()
        journal = llm.entries()
    assert [e.outcome for e in journal] == ["500", "ok"]
    [call] = run.calls("reply")
    [take] = run.takes(call)
    assert take.text == run.assembled(call) == result.state.step("reply").output == TEXT
    assert not run.of("text.retract")


async def test_a_server_that_does_not_stream_still_answers_in_one_piece(client, write_spec):
    with stream_server(ignore_stream=True) as llm:
        handle, run = await follow(client, write_spec, llm.url, "reply")
        result = await handle.result()
        await run.ended()
        [entry] = llm.entries()
    assert entry.stream, "it was asked to stream"
    [call] = run.calls("reply")
    [delta] = run.of("text.delta", "reply")
    assert delta.text == run.assembled(call) == result.state.step("reply").output == TEXT
    assert not run.of("text.retract"), "nothing failed: nothing is taken back"


async def test_a_run_nobody_follows_asks_for_no_stream(client, write_spec):
    """Text costs the run a signal per batch: without a follower nothing asks for it."""
    with stream_server(answers={"triage": TRIAGE}) as llm:
        plan = compile_spec(write_spec(spec("reply", "triage"), catalog(llm.url)))
        handle = await start_run(client, plan, {"message": "where is my parcel?"})
        result = await handle.result()
        journal, bodies = llm.entries(), llm.bodies
    assert result.state.step("reply").output == TEXT
    assert len(journal) == 2 and not any(entry.stream for entry in journal)
    assert not any("stream" in body for body in bodies)
    history = await handle.fetch_history()
    signals = [
        e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == []
