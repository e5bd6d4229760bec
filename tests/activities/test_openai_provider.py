"""The OpenAI-compatible provider over real HTTP (llmock on loopback)."""

from __future__ import annotations

import pytest
from jsonschema import validate
from podium.activities import errors as e
from podium.activities.contracts import AgentCall, AgentConfig, ProviderConfig
from podium.activities.providers.openai import complete, request_body
from podium.activities.providers.reply import ProviderReply
from podium.activities.tool_contracts import ToolSpec
from podium.starters.devserver import free_port

from tests.support.fault_server import LLAMA_CPP_REFUSAL, fault_server
from tests.support.garbage_server import garbage_server
from tests.support.worker_process import wait_for

SCHEMA = {
    "type": "object",
    "required": ["severity", "issues"],
    "properties": {
        "severity": {"enum": ["low", "high"]},
        "issues": {"type": "array", "items": {"type": "string"}},
    },
}


SUMMARY = {"type": "object", "required": ["summary"]}


def call(
    base_url: str, schema=SCHEMA, key_env: str | None = None, timeout: float = 10
) -> AgentCall:
    provider = ProviderConfig(name="mock", kind="openai", base_url=base_url, api_key_env=key_env)
    agent = AgentConfig(
        name="legal",
        provider=provider,
        model="gpt-4o-mini",
        output_schema=schema,
        instructions="Assess.",
        timeout_s=timeout,
    )
    return AgentCall(agent=agent, inputs={"terms": "net 30"}, step_id="legal")


async def test_success_returns_schema_valid_output_and_usage(mock_llm):
    reply: ProviderReply = await complete(call(f"{mock_llm.url}/v1"))
    validate(reply.output, SCHEMA)
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert reply.model == "gpt-4o-mini" and reply.finish_reason == "stop"
    [sent] = mock_llm.requests()
    assert sent["body"]["response_format"]["type"] == "json_schema"
    assert sent["body"]["response_format"]["json_schema"]["schema"] == SCHEMA


@pytest.mark.parametrize(
    ("behavior", "cls", "retry_after"),
    [
        ({"type": "fail", "status": 429, "retry_after": 2.5}, e.ProviderRateLimited, 2.5),
        ({"type": "fail", "status": 500}, e.ProviderServerError, None),
        ({"type": "fail", "status": 503}, e.ProviderServerError, 1.0),
        ({"type": "fail", "status": 408}, e.ProviderRequestTimeout, None),
        (
            {"type": "fail", "status": 401, "message": "Incorrect API key"},
            e.ProviderAuthError,
            None,
        ),
        ({"type": "fail", "status": 400, "message": "bad model"}, e.ProviderRejectedRequest, None),
    ],
)
async def test_injected_faults_are_classified(mock_llm, behavior, cls, retry_after):
    mock_llm.queue(behavior)
    with pytest.raises(cls) as info:  # (a text agent: no structured-output mode to probe)
        await complete(call(f"{mock_llm.url}/v1", schema=None))
    assert info.value.retry_after == retry_after
    if "message" in behavior:
        assert behavior["message"] in info.value.message


async def test_truncated_and_schema_invalid_content_are_output_schema_errors(mock_llm):
    mock_llm.queue({"type": "reply", "text": '{"severity": "hi'})
    with pytest.raises(e.OutputSchemaError, match="not valid JSON"):
        await complete(call(f"{mock_llm.url}/v1"))
    mock_llm.queue({"type": "reply", "text": '{"severity": "medium", "issues": []}'})
    with pytest.raises(e.OutputSchemaError) as info:
        await complete(call(f"{mock_llm.url}/v1"))
    # the message (logged, traced) names the rule, never the answer; the repair round
    # gets the full errors from the details
    assert info.value.message.endswith("at severity (enum ['low', 'high'])")
    assert "medium" not in info.value.message
    assert any("'medium' is not one of" in err for err in info.value.details["errors"])


async def test_a_slow_provider_ends_as_a_named_retryable_timeout(mock_llm):
    mock_llm.queue({"type": "delay", "seconds": 2})
    with pytest.raises(e.ProviderTimeout) as info:
        await complete(call(f"{mock_llm.url}/v1", timeout=0.5))
    assert info.value.retryable
    assert "no answer from provider 'mock' at 127.0.0.1:" in info.value.message
    assert "within 0.5 s (connected, but the answer did not come)" in info.value.message


async def test_nothing_listening_is_a_transport_error():
    with pytest.raises(e.ProviderTransportError):
        await complete(call(f"http://127.0.0.1:{free_port()}/v1"))


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"id": "x", "choices": []}', b'{"choi'])
async def test_malformed_bodies_are_retryable_bad_responses(body):
    with garbage_server(body) as url:
        with pytest.raises(e.ProviderBadResponse, match="not a chat completion"):
            await complete(call(url))


async def test_missing_key_on_the_worker_names_the_variable(mock_llm, monkeypatch):
    monkeypatch.delenv("PODIUM_MOCK_KEY", raising=False)
    with pytest.raises(e.ProviderNotConfigured, match="PODIUM_MOCK_KEY"):
        await complete(call(f"{mock_llm.url}/v1", key_env="PODIUM_MOCK_KEY"))


def test_json_object_mode_and_text_agents():
    c = call("http://127.0.0.1:1/v1")
    c.agent.provider.structured_output = "json_object"
    assert request_body(c)["response_format"] == {"type": "json_object"}
    assert "response_format" not in request_body(call("http://127.0.0.1:1/v1", schema=None))


async def test_http_errors_name_the_provider_its_host_and_the_key_variable(monkeypatch):
    monkeypatch.setenv("PODIUM_TEST_KEY", "sk-live-abcdef123456")
    with fault_server(echo_auth=True) as llm:
        with pytest.raises(e.ProviderAuthError) as info:
            await complete(call(llm.url, key_env="PODIUM_TEST_KEY"))
    message = info.value.message
    assert message.startswith("provider 'mock' at 127.0.0.1:")
    assert "answered HTTP 401" in message
    assert message.endswith("check the key in PODIUM_TEST_KEY on the worker")


async def test_an_answer_cut_at_the_token_limit_is_truncated_not_invalid():
    with fault_server(truncate=True) as llm:
        with pytest.raises(e.OutputTruncated) as info:
            await complete(call(llm.url, schema=SUMMARY))
    assert "cut at the token limit (max_output_tokens=1024" in info.value.message
    assert "not valid JSON" not in info.value.message
    assert info.value.details["usage"]["output_tokens"] == 10  # billed all the same


async def test_a_refused_structured_output_mode_falls_back_and_is_remembered():
    with fault_server(refuse_json_schema=True) as llm:
        c = call(llm.url, schema=SUMMARY)
        c.agent.provider.name = "llamacpp-like"  # learned modes are per provider name
        first = await complete(c)
        second = await complete(c)
        journal = llm.entries()
    assert first.output == second.output == {"summary": "all good"}
    # refused once, then json_object; the second call goes straight to json_object
    assert [(e.outcome, e.response_format) for e in journal] == [
        ("refused_schema", "json_schema"),
        ("ok", "json_object"),
        ("ok", "json_object"),
    ]


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, LLAMA_CPP_REFUSAL["error"]["message"]), (400, "Bad Request")],
    ids=["llama.cpp", "terse"],
)
async def test_any_refusal_wording_steps_down_to_json_object(mock_llm, status, message):
    """By behaviour, not wording: llama.cpp's own HTTP 500, or a 400 that names no mode at
    all, then the same request without json_schema is answered."""
    answer = '{"severity": "low", "issues": []}'
    mock_llm.queue(
        {"type": "fail", "status": status, "message": message},
        {"type": "reply", "text": answer, "times": 3},
    )
    c = call(f"{mock_llm.url}/v1")
    c.agent.provider.name = f"refuser-{status}"
    reply = await complete(c)
    await complete(c)
    validate(reply.output, SCHEMA)
    formats = [r["body"]["response_format"]["type"] for r in mock_llm.requests()]
    assert formats == ["json_schema", "json_object", "json_object"]


async def test_an_error_the_weaker_modes_get_too_is_the_calls_and_teaches_nothing():
    with fault_server(script=["500", "500", "500"]) as llm:
        c = call(llm.url, schema=SUMMARY)
        c.agent.provider.name = "flaky-not-refusing"
        with pytest.raises(e.ProviderServerError, match="internal error"):
            await complete(c)
        await complete(c)  # the server is well again: asked as the catalog says
        # (the server journals a request just after answering it)
        await wait_for(lambda: llm.in_flight == 0, 5, "the journal")
        journal = [(x.outcome, x.response_format) for x in llm.entries()]
    assert journal == [
        ("500", "json_schema"),
        ("500", "json_object"),
        ("500", None),
        ("ok", "json_schema"),
    ]


@pytest.mark.parametrize("status", [401, 403, 408, 409, 429, 502, 503, 504])
async def test_key_rate_time_and_down_servers_are_never_taken_for_a_refusal(mock_llm, status):
    mock_llm.queue({"type": "fail", "status": status, "message": "json_schema unsupported"})
    c = call(f"{mock_llm.url}/v1")
    c.agent.provider.name = f"not-refusing-{status}"
    with pytest.raises(e.AgentCallError):
        await complete(c)
    assert len(mock_llm.requests()) == 1


async def test_tool_calls_where_no_tools_were_offered_are_an_invalid_answer(mock_llm):
    mock_llm.queue(
        {"type": "reply", "tool_calls": [{"name": "lookup", "arguments": {"q": "net 30"}}]}
    )
    with pytest.raises(e.OutputSchemaError) as info:
        await complete(call(f"{mock_llm.url}/v1"))
    assert info.value.message == (
        "agent 'legal' answered with tool calls (lookup) where no tools were offered; "
        "expected a JSON value that validates against the schema"
    )
    details = info.value.details
    assert details["errors"] == [
        "you called lookup, but no tools are available here: answer with a JSON value "
        "that validates against the schema"
    ]
    assert details["content"] == '[tool calls: lookup({"q": "net 30"})]'  # the repair's quote
    assert details["usage"]["input_tokens"] > 0  # billed all the same


def test_an_assistant_turn_of_tool_calls_is_sent_with_empty_content():
    c = call("http://127.0.0.1:1/v1")
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    c.messages = [
        {"role": "assistant", "content": None, "tool_calls": calls},  # as runs in flight hold
        {"role": "tool", "tool_call_id": "c1", "content": "{}"},
    ]
    assistant = request_body(c)["messages"][2]
    assert assistant == {"role": "assistant", "content": "", "tool_calls": calls}


@pytest.mark.parametrize(
    ("setting", "sent"),
    [
        ("required", "required"),
        ("none", "none"),
        ("lookup", {"type": "function", "function": {"name": "lookup"}}),
    ],
)
def test_tool_choice_is_sent_on_turns_that_offer_tools(setting, sent):
    c = call("http://127.0.0.1:1/v1")
    c.agent.tools = [ToolSpec(name="lookup", kind="function", function="m:f")]
    c.agent.tool_choice = setting
    assert request_body(c)["tool_choice"] == sent
    c.tools_enabled = False  # the loop's last turn offers none: nothing to choose
    assert "tool_choice" not in request_body(c) and "tools" not in request_body(c)
    c.agent.tool_choice = None
    c.tools_enabled = True
    assert "tool_choice" not in request_body(c)


async def test_a_schema_the_provider_calls_invalid_is_reported_not_downgraded():
    with garbage_server(
        b'{"error": {"message": "Invalid schema for response_format \'x\': missing items"}}',
        status=400,
    ) as url:
        c = call(url, schema=SUMMARY)
        c.agent.provider.name = "strict-openai-like"
        with pytest.raises(e.ProviderRejectedRequest, match="Invalid schema for response_format"):
            await complete(c)
