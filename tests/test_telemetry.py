"""Traces and metrics of real runs: GenAI spans per agent call, Prometheus metrics.

Traced runs use their own client and in-process workers on the dev server's isolated
namespace (the orchestration queue name is fixed, so the session's untraced workers in
the default namespace must not pick up these runs).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from podium.activities import telemetry
from podium.activities.connection import connect
from podium.activities.contracts import BUILTIN_PROVIDERS, ProviderConfig
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workers.worker import WorkerOptions, build_workers
from temporalio.client import Client, WorkflowFailureError

from tests.conftest import ISOLATED_NAMESPACE

SECRET = "sk-podium-telemetry-secret-7731"
KEY_ENV = "PODIUM_TELEMETRY_KEY"
TOPIC = "durian futures"
NOTES = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SUMMARY = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}


def catalog(llm_url: str) -> dict:
    researcher = {"model": "scripted", "output": NOTES, "price": {"input_per_mtok": 1.0}}
    researcher["script"] = [{"output": {"text": "notes on {{ topic }}"}}]
    writer = {"model": "mock:gpt-4o-mini", "output": SUMMARY, "max_output_tokens": 300}
    writer["price"] = {"input_per_mtok": 0.15, "output_per_mtok": 0.60}
    return {
        "providers": {"mock": {"base_url": f"{llm_url}/v1", "api_key_env": KEY_ENV}},
        "agents": {"researcher": researcher, "writer": writer},
    }


SPEC = {
    "name": "traced",
    "agents": "agents.yaml",
    "steps": [
        {"id": "research", "agent": "researcher", "with": {"topic": "input.topic"}},
        {"id": "write", "agent": "writer", "with": {"notes": "steps.research.output.text"}},
    ],
}


# -- fixtures ----------------------------------------------------------------------------
@pytest.fixture
def spans(request: pytest.FixtureRequest, monkeypatch) -> Iterator[InMemorySpanExporter]:
    """Agent calls and clients traced into memory (param True: with PODIUM_TRACE_CONTENT=1)."""
    if getattr(request, "param", False):
        monkeypatch.setenv(telemetry.CONTENT_ENV, "1")
    else:
        monkeypatch.delenv(telemetry.CONTENT_ENV, raising=False)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.enable_tracing(provider)
    yield exporter
    telemetry.disable_tracing()


@pytest.fixture
async def traced_client(
    spans, address: str, llm_provider: ProviderConfig, monkeypatch
) -> AsyncIterator[Client]:
    """A traced client (``connect``) and workers built from it, on the isolated namespace."""
    monkeypatch.setenv(KEY_ENV, SECRET)
    client = await connect(address, ISOLATED_NAMESPACE)
    workers = build_workers(
        client, WorkerOptions(providers=[*BUILTIN_PROVIDERS.values(), llm_provider])
    )
    tasks = [asyncio.create_task(w.run()) for w in workers]
    yield client
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    for task in tasks:
        task.cancel()


def by_name(exporter: InMemorySpanExporter) -> dict[str, list[ReadableSpan]]:
    found: dict[str, list[ReadableSpan]] = {}
    for span in exporter.get_finished_spans():
        found.setdefault(span.name, []).append(span)
    return found


def all_attribute_text(exporter: InMemorySpanExporter) -> str:
    return json.dumps(
        [dict(s.attributes or {}) for s in exporter.get_finished_spans()], default=str
    )


# -- traces ------------------------------------------------------------------------------
async def test_agent_calls_are_genai_spans_in_one_trace_from_the_client(
    traced_client, spans, mock_llm, write_spec
):
    handle = await start_run(
        traced_client, compile_spec(write_spec(SPEC, catalog(mock_llm.url))), {"topic": TOPIC}
    )
    result = await handle.result()
    write = result.state.step("write")
    named = by_name(spans)

    [chat] = named["chat gpt-4o-mini"]
    attributes = dict(chat.attributes or {})
    assert chat.kind == SpanKind.CLIENT
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes == attributes | {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": write.model,
        "gen_ai.request.max_tokens": 300,
        "gen_ai.usage.input_tokens": write.usage.input_tokens,
        "gen_ai.usage.output_tokens": write.usage.output_tokens,
        "server.address": "127.0.0.1",
        "podium.provider": "mock",
        "podium.run_id": handle.id,
        "podium.step_id": "write",
        "podium.agent": "writer",
        "podium.cost_usd": pytest.approx(write.cost_usd),
        "podium.attempt": 1,
        "podium.offline": False,
    }
    assert write.usage.input_tokens > 0 and "error.type" not in attributes
    [scripted] = named["chat scripted"]
    assert scripted.attributes is not None and scripted.attributes["podium.offline"] is True
    assert scripted.attributes["gen_ai.provider.name"] == "scripted"

    # One trace: start_run → StartWorkflow → RunWorkflow → … → RunActivity → chat.
    [root] = named["start_run traced"]
    assert root.attributes == {"podium.spec": "traced", "podium.run_id": handle.id}
    assert named["RunWorkflow:PodiumRun"][0].context.trace_id == root.context.trace_id
    activity_spans = {s.context.span_id: s for s in named["RunActivity:podium.run_agent"]}
    for span in (chat, scripted):
        assert span.context.trace_id == root.context.trace_id
        assert span.parent is not None and span.parent.span_id in activity_spans

    # No content by default: neither the input nor the outputs, and never the key.
    text = all_attribute_text(spans)
    assert "gen_ai.input.messages" not in text and "gen_ai.output.messages" not in text
    assert TOPIC not in text and "notes on" not in text and SECRET not in text


@pytest.mark.parametrize("spans", [True], indirect=True)
async def test_content_is_recorded_only_when_asked_and_never_the_key(
    traced_client, spans, mock_llm, write_spec
):
    handle = await start_run(
        traced_client, compile_spec(write_spec(SPEC, catalog(mock_llm.url))), {"topic": TOPIC}
    )
    result = await handle.result()
    [scripted] = by_name(spans)["chat scripted"]
    attributes = scripted.attributes or {}
    sent = json.loads(str(attributes["gen_ai.input.messages"]))
    assert [m["role"] for m in sent] == ["system", "user"]
    assert TOPIC in sent[1]["parts"][0]["content"]
    [answer] = json.loads(str(attributes["gen_ai.output.messages"]))
    assert answer["role"] == "assistant" and answer["finish_reason"] == "stop"
    assert json.loads(answer["parts"][0]["content"]) == result.state.step("research").output
    [chat] = by_name(spans)["chat gpt-4o-mini"]
    assert "gen_ai.output.messages" in (chat.attributes or {})
    assert SECRET not in all_attribute_text(spans)


async def test_a_failed_attempt_carries_its_error_class(traced_client, spans, write_spec):
    catalog = {
        "agents": {
            "flaky": {
                "model": "scripted",
                "script": [{"output": "fine"}],
                "faults": {"fail_times": 1, "error": "ProviderServerError"},
                "retry": {"max_attempts": 3, "initial_interval": "100ms"},
            }
        }
    }
    spec = {"name": "flaky", "agents": "agents.yaml", "steps": [{"id": "s", "agent": "flaky"}]}
    handle = await start_run(traced_client, compile_spec(write_spec(spec, catalog)), {})
    await handle.result()
    failed, succeeded = sorted(
        by_name(spans)["chat scripted"], key=lambda s: (s.attributes or {})["podium.attempt"]
    )
    assert failed.attributes is not None and succeeded.attributes is not None
    assert failed.attributes["error.type"] == "ProviderServerError"
    assert (
        failed.attributes["podium.attempt"] == 1
        and "gen_ai.response.model" not in failed.attributes
    )
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.status.description == "ProviderServerError"  # no message without content
    assert "error.type" not in succeeded.attributes and succeeded.attributes["podium.attempt"] == 2


async def test_an_invalid_answer_never_reaches_any_span(traced_client, spans, write_spec):
    leaked = "123-45-6789 Jane Doe"  # what a model might say where a number was asked
    catalog = {
        "agents": {
            "careless": {
                "model": "scripted",
                "output": {"type": "object", "properties": {"ssn": {"type": "integer"}}},
                "script": [{"output": {"ssn": leaked}}],
                "repair_attempts": 0,
            }
        }
    }
    spec = {"name": "leaky", "agents": "agents.yaml", "steps": [{"id": "s", "agent": "careless"}]}
    handle = await start_run(traced_client, compile_spec(write_spec(spec, catalog)), {})
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert by_name(spans)["chat scripted"], "the failed call was traced"
    for span in spans.get_finished_spans():  # every span: Temporal's own ones too
        texts = [span.status.description or "", json.dumps(dict(span.attributes or {}))]
        texts += [str(event.attributes) for event in span.events]
        assert not any(leaked in text for text in texts), span.name


def test_tracing_is_off_unless_the_environment_asks(monkeypatch):
    for name in (telemetry.TRACES_ENV, *telemetry.OTLP_ENDPOINT_ENVS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(telemetry, "_tracing", telemetry._Tracing())
    assert telemetry.client_interceptors() == [] and not telemetry.tracing_from_env()
    monkeypatch.setattr(telemetry, "_tracing", telemetry._Tracing())
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv(telemetry.TRACES_ENV, "off")  # wins over the endpoint
    assert telemetry.client_interceptors() == []


async def test_each_tool_call_is_an_execute_tool_span_in_the_runs_trace(
    traced_client, spans, write_spec
):
    from tests.support.tool_specs import ANSWER, LOOKUP
    from tests.support.tool_specs import spec as tool_spec

    plan = compile_spec(write_spec(tool_spec([LOOKUP, ANSWER], ["fx_rate", "vat"])))
    handle = await start_run(traced_client, plan, {"quote": "THB"})
    await handle.result()
    named = by_name(spans)
    [fx] = named["execute_tool fx_rate"]
    attributes = dict(fx.attributes or {})
    assert attributes == attributes | {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "fx_rate",
        "gen_ai.tool.type": "function",
        "podium.run_id": handle.id,
        "podium.step_id": "price",
    }
    assert "gen_ai.tool.call.arguments" not in attributes  # content recording is off
    from podium.workflows.state import RunState

    key = (await handle.query("status", result_type=RunState)).step("price").tool_calls[0].key
    assert attributes["gen_ai.tool.call.id"] == key
    [vat] = named["execute_tool vat"]
    assert fx.context.trace_id == vat.context.trace_id  # one trace for the run
