"""Traces and metrics of real runs: GenAI spans per agent call, Prometheus metrics.

Traced runs use their own client and in-process workers on the dev server's isolated
namespace (the orchestration queue name is fixed, so the session's untraced workers in
the default namespace must not pick up these runs).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import telemetry
from activities.connection import connect
from activities.contracts import BUILTIN_PROVIDERS, ProviderConfig
from starters.devserver import free_port, stop_process
from starters.launch import start_run
from tests.conftest import ISOLATED_NAMESPACE, ROOT
from workers.worker import PASSTHROUGH, WorkerOptions, build_workers, metrics_runtime
from workflows.compiler import compile_spec
from workflows.metrics import count_run, observe_human_wait

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


# -- metrics -----------------------------------------------------------------------------
SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(port: int) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample on the Prometheus endpoint."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    samples = []
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            labels = dict(LABEL.findall(match.group(2) or ""))
            samples.append((match.group(1), labels, float(match.group(3))))
    return samples


def value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for n, ls, v in samples if n == name and ls.items() >= labels.items())


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A local OTLP/HTTP endpoint: its URL and the (path, body) of every export received."""
    received: list[tuple[str, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def start_worker(
    address: str, metrics_port: int, log: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    command = [sys.executable, "-m", "workers", "--address", address]
    command += ["--namespace", ISOLATED_NAMESPACE, "--metrics-port", str(metrics_port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env},
    )
    deadline = time.monotonic() + 30
    while b"podium worker ready" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)  # never leave a worker polling the shared namespace
            raise AssertionError(f"worker did not start: {log.read_text()}")
        time.sleep(0.05)
    return process


WOBBLY = {
    "wobbly": {
        "model": "scripted",
        "output": {"type": "object", "required": ["ok"]},
        "script": [{"output": {"nope": 1}}],  # fails its schema: 5 errors open its circuit
        "repair_attempts": 0,
        "max_error_rate": 0.5,
        "fallback": ["steady"],
    },
    "steady": {
        "model": "scripted",
        "script": [{"output": {"ok": 1}}],
        "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
    },
}


async def test_worker_process_serves_metrics_and_exports_traces(
    isolated_client, address, write_spec, tmp_path, otlp_receiver
):
    port = free_port()
    log = tmp_path / "worker.log"
    otlp_url, exports = otlp_receiver
    traces = {
        "PODIUM_TRACES": "console",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    worker = start_worker(address, port, log, traces)
    try:
        steps = [{"id": f"s{i}", "agent": "wobbly"} for i in range(7)]
        spec = {"name": "wobble_metrics", "agents": "agents.yaml", "steps": steps}
        plan = compile_spec(write_spec(spec, {"agents": WOBBLY}))
        result = await (await start_run(isolated_client, plan, {})).result()
        assert all(s.agent == "steady" for s in result.state.steps)
        samples = scrape(port)
    finally:
        stop_process(worker)

    ok = {"agent": "steady", "provider": "scripted"}
    assert value(samples, "podium_agent_call_latency_count", **ok, outcome="ok") == 7
    assert value(samples, "podium_agent_call_latency_count", agent="wobbly", outcome="error") == 7
    errors = {"agent": "wobbly", "provider": "scripted"}
    assert value(samples, "podium_agent_errors", **errors, error_type="OutputSchemaError") == 5
    assert value(samples, "podium_agent_errors", **errors, error_type="ProviderUnavailable") == 2
    steady = result.state.agents["steady"]
    assert value(samples, "podium_tokens", **ok, direction="input") == steady.input_tokens > 0
    assert value(samples, "podium_tokens", **ok, direction="output") == steady.output_tokens > 0
    # Invalid answers were paid for: counted like the run's own usage counts them.
    assert value(samples, "podium_tokens", agent="wobbly", direction="output") > 0
    usage = result.state.usage
    assert value(samples, "podium_tokens", direction="input") == usage.input_tokens
    assert value(samples, "podium_tokens", direction="output") == usage.output_tokens
    assert value(samples, "podium_cost_usd_sum", **ok) == pytest.approx(steady.cost_usd)
    assert value(samples, "podium_cost_usd_count", **ok) == 7
    assert value(samples, "podium_circuit_open", breaker="agent 'wobbly'") == 1
    # recorded by the real PodiumRun when it closed (workflow.metric_meter: replay-safe)
    assert value(samples, "podium_runs", spec="wobble_metrics", outcome="completed") == 1
    assert any(n.startswith("temporal_") for n, _, _ in samples)  # the runtime's own metrics
    # The worker's spans: printed (PODIUM_TRACES=console) and sent over OTLP/HTTP.
    assert '"name": "chat scripted"' in log.read_text()
    assert exports and all(path == "/v1/traces" for path, _ in exports)
    assert any(
        b"chat scripted" in body and b"gen_ai.usage.input_tokens" in body for _, body in exports
    )


@workflow.defn(name="PodiumMetricsProbe")
class MetricsProbe:
    """Records the workflow-side metrics the way the interpreter and human desk do."""

    @workflow.run
    async def run(self) -> None:
        """Count one run and one human wait."""
        observe_human_wait("probe", "approval", 42.0)
        count_run("probe", "completed")


async def test_run_and_human_wait_metrics_from_workflow_code(address):
    port = free_port()
    client = await connect(address, runtime=metrics_runtime(f"127.0.0.1:{port}"))
    queue = "podium-test-metrics-probe"
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, "tests")
    async with Worker(
        client,
        task_queue=queue,
        workflows=[MetricsProbe],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
    ):
        await client.execute_workflow(
            MetricsProbe.run, id=f"probe-{time.time_ns()}", task_queue=queue
        )
    samples = scrape(port)
    assert value(samples, "podium_runs", spec="probe", outcome="completed") == 1
    assert value(samples, "podium_human_wait_seconds_sum", spec="probe", kind="approval") == 42
    buckets = {ls["le"] for n, ls, _ in samples if n == "podium_human_wait_seconds_bucket"}
    assert {"60", "3600", "86400"} <= buckets  # Podium's buckets, not the millisecond ones
