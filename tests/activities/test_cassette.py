"""Cassettes: a request is known by what the model or tool is given; a recording answers
only the same request; a miss says what differs; a worker refuses a wrong setting."""

from __future__ import annotations

import pytest
from podium.activities.cassette import Cassette, agent_request, from_environment, tool_request
from podium.activities.contracts import AgentCall, AgentConfig, ProviderConfig
from podium.activities.providers.reply import ProviderReply
from podium.activities.tool_contracts import ToolCallInput, ToolSpec
from podium.workers.cassettes import apply_cassette
from podium.workers.worker import ConfigurationError, WorkerOptions

PROVIDER = ProviderConfig(name="mock", kind="openai", base_url="http://127.0.0.1:9/v1")


def call(**changes) -> AgentCall:
    agent = AgentConfig(name="writer", provider=PROVIDER, model="gpt-4o-mini", instructions="Hi.")
    agent = agent.model_copy(update=changes.pop("agent", {}))
    fields = {"inputs": {"q": "vat"}, "run_id": "r1", "step_id": "write", **changes}
    return AgentCall(agent=agent, **fields)


def test_a_request_is_what_the_model_is_given_not_where_it_ran():
    same = agent_request(call(run_id="r2", attempt=3, idempotency_key="k"))
    assert same.key == agent_request(call()).key
    for changed in (
        call(inputs={"q": "fx"}),
        call(agent={"instructions": "Hello."}),
        call(agent={"model": "gpt-4o"}),
        call(messages=[{"role": "tool", "content": "7%"}]),
    ):
        assert agent_request(changed).key != same.key
    tool = ToolSpec(name="vat", kind="function", function="m:f")
    one = tool_request(ToolCallInput(tool=tool, arguments={"country": "TH"}, run_id="a"))
    two = tool_request(ToolCallInput(tool=tool, arguments={"country": "TH"}, run_id="b"))
    assert one.key == two.key


async def test_a_recording_answers_the_same_request_and_says_what_changed(tmp_path):
    tape, misses = tmp_path / "tape.jsonl", tmp_path / "misses.jsonl"
    asked: list[AgentCall] = []

    async def model(request: AgentCall) -> ProviderReply:
        asked.append(request)
        return ProviderReply(output=f"answer {len(asked)}", model="gpt-4o-mini")

    recording = Cassette(tape, "record").provider(model)
    assert (await recording(call())).output == "answer 1"
    assert (await recording(call(run_id="again"))).output == "answer 2"  # asked live again …
    assert len(tape.read_text().splitlines()) == 1  # … but kept once: the first answer

    replaying = Cassette(tape, "replay", misses)
    replay = replaying.provider(model)
    assert (await replay(call(run_id="r9"))).output == "answer 1" and len(asked) == 2
    for changed, why in (
        (call(agent={"instructions": "Hello."}), "its instructions or output schema"),
        (call(inputs={"q": "fx"}), "its inputs"),
        (call(agent={"model": "gpt-4o"}), "its model"),
        (call(messages=[{"role": "tool", "content": "7%"}]), "the conversation so far"),
        (call(agent={"name": "reviewer"}), "agent 'reviewer' was never recorded"),
    ):
        with pytest.raises(Exception, match="no recording answers agent") as caught:
            await replay(changed)
        assert type(caught.value).__name__ == "ProviderNotConfigured" and why in str(caught.value)
    assert len(misses.read_text().splitlines()) == 5 and len(asked) == 2


def test_a_worker_refuses_a_wrong_setting_and_serves_every_provider_when_replaying(tmp_path):
    with pytest.raises(ConfigurationError, match="PODIUM_CASSETTE_MODE='rewind'"):
        apply_cassette(
            WorkerOptions(), [], {"PODIUM_CASSETTE": "x", "PODIUM_CASSETTE_MODE": "rewind"}
        )
    with pytest.raises(ConfigurationError, match="no recording there"):
        apply_cassette(WorkerOptions(), [], {"PODIUM_CASSETTE": str(tmp_path / "none.jsonl")})
    assert apply_cassette(WorkerOptions(), [], {}) is None
    assert from_environment({}) is None
