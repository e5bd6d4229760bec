"""Traces and metrics of agent calls.

**Traces** (OpenTelemetry) are off unless asked for: ``PODIUM_TRACES=console`` prints
spans on the process's stdout, ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, or ``PODIUM_TRACES=otlp``) sends them over
OTLP/HTTP with the standard ``OTEL_*`` settings. ``connect()`` then adds Temporal's
``TracingInterceptor`` to the client, and workers built from that client inherit it, so
one trace runs client → workflow → activities. Each agent call adds a span following
the OpenTelemetry GenAI semantic conventions (``chat {model}``); prompts and outputs are
recorded only with ``PODIUM_TRACE_CONTENT=1``. API keys never enter a span: nothing here
reads them.

**Metrics** (defined in ``activities.metric_names``) go through the Temporal runtime's
metric meter, so they come out wherever the runtime's own metrics do (``podium worker
--metrics-port N``: Prometheus). With no metrics configured the meter is a no-op and
nothing is recorded.

With tracing off an agent call costs one ``None`` check here; the OTel SDK and
exporters are imported only when tracing is turned on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry import trace
from podium.activities import endpoints
from podium.activities.contracts import AgentCall, AgentResult, FailureDetails, Usage
from podium.activities.errors import AgentCallError
from podium.activities.metric_names import (
    AGENT_ERRORS,
    AGENT_LATENCY,
    CIRCUIT_OPEN,
    COST_USD,
    TOKENS,
)
from podium.activities.providers.prompt import build_messages
from podium.activities.tool_contracts import ToolCallInput
from temporalio import activity
from temporalio.common import MetricMeter
from temporalio.exceptions import ApplicationError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from temporalio.client import Interceptor

logger = logging.getLogger("podium.telemetry")

TRACES_ENV = "PODIUM_TRACES"
"""``console``, ``otlp`` (both: ``console,otlp``) or ``off``."""
CONTENT_ENV = "PODIUM_TRACE_CONTENT"
"""``1``: agent spans carry ``gen_ai.input.messages`` / ``gen_ai.output.messages``."""
OTLP_ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


@dataclass
class _Tracing:
    tracer: trace.Tracer | None = None
    provider: TracerProvider | None = None
    content: bool = False
    from_env_done: bool = False


_tracing = _Tracing()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def enable_tracing(provider: TracerProvider, *, content: bool | None = None) -> None:
    """Trace agent calls (and clients connected from now on) with ``provider``.

    Args:
        provider: Where spans go (entry points build it from the environment; tests
            pass one with an in-memory exporter).
        content: Record prompts and outputs in agent spans (default: ``PODIUM_TRACE_CONTENT``).
    """
    _tracing.provider = provider
    _tracing.tracer = provider.get_tracer("podium")
    _tracing.content = _flag(CONTENT_ENV) if content is None else content


def disable_tracing() -> None:
    """Stop tracing agent calls (clients already connected keep their interceptor)."""
    _tracing.tracer = _tracing.provider = None
    _tracing.content = False


def tracing_from_env(service_name: str = "podium") -> bool:
    """Turn tracing on as the environment asks (once per process); whether it is on.

    ``PODIUM_TRACES=console`` → console exporter; an OTLP endpoint variable (or
    ``PODIUM_TRACES=otlp``) → OTLP/HTTP exporter; ``PODIUM_TRACES=off`` or nothing → off.
    ``OTEL_SERVICE_NAME`` overrides ``service_name``.
    """
    if _tracing.from_env_done or _tracing.tracer is not None:
        return _tracing.tracer is not None
    _tracing.from_env_done = True
    asked = {part.strip().lower() for part in os.environ.get(TRACES_ENV, "").split(",")}
    if "off" in asked or "none" in asked or _flag("OTEL_SDK_DISABLED"):
        return False
    console = "console" in asked
    otlp = "otlp" in asked or any(os.environ.get(name) for name in OTLP_ENDPOINT_ENVS)
    if not (console or otlp):
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    if console:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    if otlp:  # endpoint, headers, timeout: the standard OTEL_EXPORTER_OTLP_* variables
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    enable_tracing(provider)
    return True


def client_interceptors() -> list[Interceptor]:
    """Interceptors for a new client: Temporal's ``TracingInterceptor`` when tracing is on."""
    if not tracing_from_env():
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(_tracing.tracer)]


def flush_traces(timeout_ms: int = 5000) -> None:
    """Send buffered spans now (before a short-lived process exits); no-op when off."""
    if _tracing.provider is not None:
        _tracing.provider.force_flush(timeout_ms)


@contextmanager
def client_span(name: str, attributes: dict[str, Any]) -> Iterator[None]:
    """A span around client-side work (e.g. starting a run); nothing when tracing is off."""
    if _tracing.tracer is None:
        yield
        return
    with _tracing.tracer.start_as_current_span(name, attributes=attributes):
        yield


# -- one agent call -----------------------------------------------------------------------
@dataclass
class CallOutcome:
    """What ``run_agent`` reports to ``observe_agent_call`` (its result, when it has one)."""

    result: AgentResult | None = None


@contextmanager
def observe_agent_call(call: AgentCall) -> Iterator[CallOutcome]:
    """Trace and measure one agent call: a GenAI span (when tracing) and the call metrics.

    An exception leaving the block is recorded (``error.type`` = the ``ApplicationError``
    type, i.e. the taxonomy class name) and re-raised.
    """
    outcome = CallOutcome()
    started = time.perf_counter()
    span = None
    if _tracing.tracer is not None:
        try:
            span = _start_span(call)
        except Exception:  # telemetry must never fail an agent call
            logger.exception("starting the span of an agent call failed")
    error: BaseException | None = None
    try:
        if span is None:
            yield outcome
        else:
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                yield outcome
    except BaseException as exc:
        error = exc
        raise
    finally:
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            _record_metrics(call, outcome.result, error, latency_ms)
            if span is not None:
                _end_span(span, outcome.result, error)
        except Exception:  # telemetry must never fail an agent call
            logger.exception("recording telemetry of an agent call failed")


def error_type(error: BaseException) -> str:
    """The failure's class in Podium's taxonomy (``ApplicationError.type``) or its Python class."""
    if isinstance(error, ApplicationError) and error.type:
        return error.type
    return type(error).__name__


def _billed(error: BaseException | None) -> tuple[Usage | None, float]:
    """Tokens and cost a failed call was still billed for (from the error's details)."""
    details = FailureDetails.of(error)
    paid = details.billed()
    return (paid, details.cost_usd or 0.0) if paid is not None else (None, 0.0)


def _operation(call: AgentCall) -> str:
    return "execute_tool" if call.agent.provider.kind == "function" else "chat"


def _start_span(call: AgentCall) -> trace.Span:
    agent = call.agent
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": _operation(call),
        "gen_ai.provider.name": agent.provider.kind,
        "gen_ai.system": agent.provider.kind,
        "gen_ai.request.model": agent.model,
        "gen_ai.request.max_tokens": agent.max_output_tokens,
        "gen_ai.agent.name": agent.name,
        "gen_ai.output.type": "json" if agent.output_schema is not None else "text",
        "podium.provider": agent.provider.name,
        "podium.run_id": call.run_id,
        "podium.step_id": call.step_id,
        "podium.agent": agent.name,
        "podium.attempt": call.attempt,
        "podium.worker_retry": activity.info().attempt - 1,
    }
    base_url = _endpoint(call)
    if base_url:  # only the host and port: a URL may carry credentials
        url = httpx.URL(base_url)
        attributes["server.address"] = url.host
        if url.port:
            attributes["server.port"] = url.port
    if _tracing.content:
        attributes["gen_ai.input.messages"] = json.dumps(
            [
                {"role": m["role"], "parts": [{"type": "text", "content": str(m["content"])}]}
                for m in build_messages(call)
            ],
            ensure_ascii=False,
        )
    assert _tracing.tracer is not None
    return _tracing.tracer.start_span(
        f"{_operation(call)} {agent.model}", kind=trace.SpanKind.CLIENT, attributes=attributes
    )


def _endpoint(call: AgentCall) -> str | None:
    """The base URL this worker calls for ``call`` (its own, ``${VAR}`` expanded), or
    None when it has none or cannot resolve it (the call itself then says why)."""
    try:
        return endpoints.resolve(call.agent.provider).base_url
    except AgentCallError:
        return None


def _end_span(span: trace.Span, result: AgentResult | None, error: BaseException | None) -> None:
    usage, cost = (result.usage, result.cost_usd) if result else _billed(error)
    if usage is not None:
        span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
        span.set_attribute("podium.cost_usd", cost)
    if result is not None:
        span.set_attribute("gen_ai.response.model", result.model)
        if result.finish_reason:
            span.set_attribute("gen_ai.response.finish_reasons", [result.finish_reason])
        span.set_attribute("podium.offline", result.offline)
        if _tracing.content:
            text = result.output if isinstance(result.output, str) else json.dumps(result.output)
            message = {
                "role": "assistant",
                "parts": [{"type": "text", "content": text}],
                "finish_reason": result.finish_reason or "",
            }
            span.set_attribute("gen_ai.output.messages", json.dumps([message], ensure_ascii=False))
    if error is not None:
        kind = error_type(error)
        span.set_attribute("error.type", kind)
        # The message may quote the model's answer: only with content recording on.
        span.set_status(trace.StatusCode.ERROR, f"{kind}: {error}" if _tracing.content else kind)
    span.end()


def _record_metrics(
    call: AgentCall, result: AgentResult | None, error: BaseException | None, latency_ms: float
) -> None:
    meter = activity.metric_meter()
    if meter is MetricMeter.noop:  # no metrics configured on this worker's runtime
        return
    labels = {"agent": call.agent.name, "provider": call.agent.provider.name}
    if error is None:
        outcome = "ok"
    elif isinstance(error, asyncio.CancelledError):  # lost a race, or the run moved on
        outcome = "cancelled"
    else:
        outcome = "error"
        AGENT_ERRORS.counter(meter).add(1, {**labels, "error_type": error_type(error)})
    AGENT_LATENCY.histogram(meter).record(
        result.latency_ms if result else latency_ms, {**labels, "outcome": outcome}
    )
    usage, cost = (result.usage, result.cost_usd) if result else _billed(error)
    if usage is None:
        return
    tokens = TOKENS.counter(meter)
    tokens.add(usage.input_tokens, {**labels, "direction": "input"})
    tokens.add(usage.output_tokens, {**labels, "direction": "output"})
    # Temporal's counters count integers; a float histogram keeps exact dollars (its
    # _sum is the spend, its _count the billed calls).
    COST_USD.histogram(meter).record(cost, labels)


def set_circuit_gauge(breaker: str, is_open: bool) -> None:
    """Publish a circuit breaker's state (1 = open or half-open) from inside an activity."""
    try:
        meter = activity.metric_meter()
    except RuntimeError:  # not in an activity (unit tests of the breaker)
        return
    if meter is not MetricMeter.noop:
        CIRCUIT_OPEN.gauge(meter).set(int(is_open), {"breaker": breaker})


@contextmanager
def observe_tool_call(call: ToolCallInput) -> Iterator[None]:
    """An ``execute_tool {tool}`` span (GenAI semantic conventions) around one tool call,
    when tracing is on. Arguments and results are recorded only with content recording."""
    span = None
    if _tracing.tracer is not None:
        try:
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": call.tool.name,
                "gen_ai.tool.type": "function" if call.tool.kind == "function" else "extension",
                "gen_ai.tool.call.id": call.idempotency_key,
                "gen_ai.tool.description": call.tool.description,
                "podium.tool.kind": call.tool.kind,
                "podium.run_id": call.run_id,
                "podium.step_id": call.step_id,
                "podium.worker_retry": activity.info().attempt - 1,
            }
            if _tracing.content:
                attributes["gen_ai.tool.call.arguments"] = json.dumps(
                    call.arguments, ensure_ascii=False, default=str
                )
            span = _tracing.tracer.start_span(
                f"execute_tool {call.tool.name}",
                kind=trace.SpanKind.INTERNAL,
                attributes=attributes,
            )
        except Exception:  # telemetry must never fail a tool call
            logger.exception("starting the span of a tool call failed")
    if span is None:
        yield
        return
    try:
        with trace.use_span(span, record_exception=False, set_status_on_exception=False):
            yield
    except BaseException as exc:
        kind = error_type(exc)
        span.set_attribute("error.type", kind)
        span.set_status(trace.StatusCode.ERROR, f"{kind}: {exc}" if _tracing.content else kind)
        raise
    finally:
        span.end()
