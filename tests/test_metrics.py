"""Prometheus metrics of real runs: a worker process's /metrics endpoint, and the metrics
recorded from workflow code (replay-safe).

Runs here use the dev server's isolated namespace and their own worker process (the
orchestration queue name is fixed, so the session's workers must not pick them up).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from podium.activities.connection import connect
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devserver import free_port, stop_process
from podium.starters.launch import start_run
from podium.workers.config import PASSTHROUGH
from podium.workers.worker import metrics_runtime
from podium.workflows.metrics import count_run, observe_human_wait
from temporalio import workflow
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.conftest import ISOLATED_NAMESPACE, ROOT
from tests.support.polling import eventually, eventually_sync

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
    address: str, metrics_port: int, log: Path, env: dict[str, str], *extra: str
) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    command = [sys.executable, "-m", "podium.workers", "--address", address]
    command += ["--namespace", ISOLATED_NAMESPACE, "--metrics-port", str(metrics_port), *extra]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env},
    )

    def ready() -> bool:
        assert process.poll() is None, f"worker exited: {log.read_text()}"
        return b"podium worker ready" in log.read_bytes()

    try:
        eventually_sync(ready, f"'podium worker ready' in {log}", timeout=30)
    except AssertionError:
        stop_process(process)  # never leave a worker polling the shared namespace
        raise
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


def test_workflow_metrics_import_no_tracing_or_io():
    """Workflow code gets metric names only: no OTel SDK, exporter or HTTP client loads."""
    probe = (
        "import sys, podium.workflows.metrics\n"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('opentelemetry', 'httpx', 'podium.activities.telemetry'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_the_backlog_of_each_queue_is_a_metric_an_autoscaler_can_follow(
    isolated_client, address, write_spec, tmp_path
):
    port = free_port()
    env = {"PODIUM_BACKLOG_INTERVAL": "0.3"}
    worker = start_worker(address, port, tmp_path / "w.log", env, "--activity-slots", "1")
    slow = {"model": "scripted", "latency": "400ms", "script": [{"output": "ok"}]}
    spec = {
        "name": "backlog",
        "agents": {"agents": {"slow": slow}},
        "steps": [{"agent": "slow", "id": "s"}],
    }
    queue = {"task_queue": "podium-llm-scripted", "type": "activity"}
    try:
        plan = compile_spec(write_spec(spec))
        handles = [await start_run(isolated_client, plan, {}) for _ in range(30)]  # 12 s of work

        async def backlog(queued: bool) -> bool:
            count = value(scrape(port), "podium_task_queue_backlog", **queue)
            return count >= 4 if queued else count == 0

        # calls queued behind the one slot, as the server counts them (cached a while)
        await eventually(lambda: backlog(True), "4+ calls in the backlog", 30, every=0.2)
        samples = scrape(port)
        await asyncio.gather(*(h.result() for h in handles))
        await eventually(lambda: backlog(False), "the backlog to drain", 30, every=0.3)
    finally:
        stop_process(worker)
    orchestration = {"task_queue": "podium-orchestration", "type": "workflow"}
    assert any(
        n == "podium_task_queue_backlog" and ls.items() >= orchestration.items()
        for n, ls, _ in samples
    )
    slots = {n for n, _, _ in samples if n.startswith("temporal_worker_task_slots")}
    assert "temporal_worker_task_slots_available" in slots, slots  # how busy the workers are
