"""The OpenAI-compatible provider asking for a stream, over real HTTP (the stream server on
loopback): the text reaches the call's sink while the model writes it, the answer is put
back together and validated as a whole one is, and a stream broken off is a retried
error."""

from __future__ import annotations

import asyncio
import json

import pytest
from podium.activities import errors as e
from podium.activities.contracts import AgentCall, AgentConfig, ProviderConfig, StreamTarget
from podium.activities.providers.openai import complete
from podium.activities.providers.reply import ProviderReply
from podium.activities.streaming import TextSink
from temporalio.testing import ActivityEnvironment

from tests.support.polling import eventually
from tests.support.stream_server import TEXT, stream_server, tokens

SCHEMA = {
    "type": "object",
    "required": ["category", "reply"],
    "properties": {"category": {"enum": ["shipping", "billing"]}, "reply": {"type": "string"}},
}
TRIAGE = {"category": "shipping", "reply": "It left this morning; two working days."}


def call(base_url: str, schema: dict | None = None) -> AgentCall:
    provider = ProviderConfig(name="mock", kind="openai", base_url=base_url)
    agent = AgentConfig(
        name="support",
        provider=provider,
        model="m",
        output_schema=schema,
        instructions="Answer the customer.",
        timeout_s=20,
    )
    return AgentCall(agent=agent, inputs={"message": "where is my parcel?"}, step_id="reply")


class Watched:
    """``complete(call)`` inside a sink, as ``run_agent`` makes it for a followed run. No
    run receives the text here (the sink has no Temporal client): the test reads what
    the provider wrote to it."""

    def __init__(self, call: AgentCall) -> None:
        self.call = call
        self.sink = TextSink(StreamTarget(workflow_id="nobody", call="c"), call.step_id, 1)

    async def run(self) -> ProviderReply:
        async def in_activity() -> ProviderReply:
            async with self.sink:
                return await complete(self.call)

        return await ActivityEnvironment().run(in_activity)


async def test_the_text_reaches_the_sink_while_the_model_writes_it():
    with stream_server(pause_after=5) as llm:
        watched = Watched(call(llm.url))
        answer = asyncio.create_task(watched.run())

        async def five_pieces_in() -> bool:
            return len(watched.sink.written) == 5

        await eventually(five_pieces_in, "the first 5 tokens in the sink")
        assert not answer.done() and not llm.entries(), "the model is still writing"
        llm.resume()
        reply = await answer
        [body] = llm.bodies
    assert watched.sink.written == tokens(TEXT)  # each token as it came, none twice
    assert reply.output == TEXT and reply.finish_reason == "stop"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert reply.usage.output_tokens == len(tokens(TEXT))  # the usage chunk's count


async def test_a_structured_answer_streams_its_json_text_and_is_validated():
    with stream_server(answers={"m": TRIAGE}) as llm:
        watched = Watched(call(llm.url, SCHEMA))
        reply = await watched.run()
    assert reply.output == TRIAGE
    assert "".join(watched.sink.written) == json.dumps(TRIAGE)


@pytest.mark.parametrize(
    ("failure", "error", "says"),
    [
        ("cut", e.ProviderTransportError, "cannot talk to provider 'mock'"),
        ("error", e.ProviderBadResponse, "broke off its answer: the model stopped (injected)"),
        ("end", e.ProviderTransportError, "ended its stream before the answer was complete"),
    ],
)
async def test_an_answer_broken_off_mid_stream_is_a_retried_error(failure, error, says):
    with stream_server(fail=failure, fail_after=6) as llm:
        watched = Watched(call(llm.url))
        with pytest.raises(error) as info:
            await watched.run()
        [entry] = llm.entries()
    assert info.value.retryable and says in info.value.message
    assert entry.outcome == failure and entry.tokens == 6
    assert watched.sink.written == tokens(TEXT)[:6]  # (run_agent retracts them)


async def test_a_server_that_does_not_stream_still_answers():
    with stream_server(ignore_stream=True) as llm:
        watched = Watched(call(llm.url))
        reply = await watched.run()
        [entry] = llm.entries()
    assert entry.stream, "it was asked to stream"
    assert reply.output == TEXT
    assert watched.sink.written == []  # (run_agent settles the answer in one piece)


async def test_a_call_nobody_watches_asks_for_a_whole_answer():
    with stream_server() as llm:
        reply = await complete(call(llm.url))
        [body] = llm.bodies
    assert reply.output == TEXT
    assert "stream" not in body and "stream_options" not in body


async def test_streamed_answers_give_their_connection_back():
    """Each answer read to its end: the next call reuses the kept-alive connection
    instead of leaving one open per call."""
    with stream_server() as llm:
        for _ in range(3):
            await Watched(call(llm.url)).run()
        connections = {entry.connection for entry in llm.entries()}
    assert len(connections) == 1, f"3 calls, {len(connections)} connections"
