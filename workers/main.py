"""``podium worker``: serve the orchestration queue and the provider queues.

    podium worker [--address HOST:PORT] [--catalog agents/] [--provider openai]
                  [--metrics-port 9464]

Connection settings come from ``temporalio.envconfig`` (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, profiles, TLS, API key). API keys are read here, on the worker,
from the variables the catalog names; they never travel through Temporal. For the
providers its catalogs declare, the worker's ``base_url``/``api_key_env``/
``structured_output`` replace the plan's (``activities.endpoints``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from podium.activities import endpoints
from podium.activities.connection import DEFAULT_ADDRESS, connect
from podium.activities.contracts import BUILTIN_PROVIDERS
from podium.activities.errors import PayloadStoreError
from podium.activities.payloads.settings import PayloadSettingsError
from podium.activities.payloads.settings import from_environment as payload_settings
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.secrets import register as register_secret
from podium.activities.secrets import scrub_logs
from podium.activities.telemetry import flush_traces, tracing_from_env
from podium.activities.tools.allowed import allow_only
from podium.workers.backlog import interval_s as backlog_interval_s
from podium.workers.backlog import report_backlog
from podium.workers.cassettes import apply_cassette
from podium.workers.config import PodiumWorkerConfig
from podium.workers.fairness_check import warn_if_fairness_ignored
from podium.workers.tool_check import catalog_fingerprints, tool_warnings
from podium.workers.worker import (
    ConfigurationError,
    WorkerOptions,
    build_workers,
    metrics_runtime,
    providers_from_catalogs,
    usable_providers,
)

logger = logging.getLogger("podium.worker")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the worker."""
    parser = argparse.ArgumentParser(prog="podium worker", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--address", help="Temporal frontend (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)"
    )
    parser.add_argument(
        "--namespace", help="Temporal namespace (default: TEMPORAL_NAMESPACE or default)"
    )
    parser.add_argument(
        "--catalog",
        action="append",
        default=[],
        type=Path,
        help="agent catalog file or directory whose providers to serve (repeatable; "
        "default: ./agents if it exists)",
    )
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        help="provider this worker must serve; refuse to start without its key",
    )
    parser.add_argument(
        "--no-orchestration", action="store_true", help="serve provider queues only (no workflows)"
    )
    parser.add_argument(
        "--activity-slots",
        type=int,
        default=None,
        help="concurrent agent calls per provider queue (default 2000)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run Podium's workflows in temporalio's workflow sandbox (as a worker built "
        "with PodiumPlugin would; slower; off by default, see docs/running.md)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics (Temporal's and podium_*) on this port at /metrics",
    )
    parser.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        help="address the metrics endpoint binds to (default 127.0.0.1; 0.0.0.0 for all)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Run the workers until ``stop`` is set."""
    catalogs = args.catalog or ([Path("agents")] if Path("agents").is_dir() else [])
    declared = providers_from_catalogs(catalogs)
    for warning in tool_warnings(catalogs):
        logger.warning(warning)
    if args.catalog:  # named on purpose: run only the tools they define
        allow_only(catalog_fingerprints(args.catalog))
    else:
        allow_only(None)
    for provider in declared:
        register_secret(provider.api_key_env)
    usable, warnings = usable_providers(declared, args.provider)
    for warning in warnings:
        logger.warning(warning)
    endpoints.configure(usable)  # this worker's endpoints and key variables win over plans'
    payloads = payload_settings()
    options = WorkerOptions(
        providers=list(BUILTIN_PROVIDERS.values()) + usable,
        orchestration=not args.no_orchestration,
        config=PodiumWorkerConfig(sandboxed=args.sandbox, payloads=payloads),
    )
    if args.activity_slots:
        options.activity_slots = args.activity_slots
    recording = apply_cassette(options, declared)  # PODIUM_CASSETTE: docs/evals.md
    tracing_from_env(service_name="podium-worker")  # connect() adds the interceptor
    runtime = None
    if args.metrics_port is not None:
        bind = f"{args.metrics_host}:{args.metrics_port}"
        runtime = metrics_runtime(bind)
        print(f"podium worker metrics on http://{bind}/metrics", flush=True)
    client = await connect(args.address, args.namespace, runtime=runtime, payloads=payloads)
    workers = build_workers(client, options)
    queues = ", ".join(w.task_queue for w in workers)
    print(f"podium worker ready (pid {os.getpid()}): serving {queues}", flush=True)
    print(f"podium worker {payloads.describe()}", flush=True)
    tools = "those of its --catalog" if args.catalog else "any a plan carries (no --catalog)"
    print(f"podium worker runs tools: {tools}", flush=True)
    if recording:
        print(recording, flush=True)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    checking = asyncio.create_task(warn_if_fairness_ignored(client))  # once, in the background
    watching = None
    if runtime is not None:  # the backlog of each queue served, for autoscalers
        served = {
            w.task_queue: ["workflow", "activity"]
            if w.task_queue == ORCHESTRATION_QUEUE
            else ["activity"]
            for w in workers
        }
        watching = asyncio.create_task(
            report_backlog(client, runtime.metric_meter, served, backlog_interval_s())
        )
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if task is not stopper and task.exception():
            logger.error("worker stopped: %s", task.exception())
    checking.cancel()
    if watching is not None:
        watching.cancel()
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``podium worker`` / ``python -m workers``."""
    logging.basicConfig(
        level=os.environ.get("PODIUM_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    scrub_logs()  # no API key reaches a log line, whoever logs it
    args = parse_args(argv)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(args, stop)

    code = 0
    try:
        asyncio.run(run())
    except (ConfigurationError, PayloadSettingsError, PayloadStoreError) as exc:
        print(f"podium worker: {exc}", file=sys.stderr)
        code = 2
    except RuntimeError as exc:
        if "Failed client connect" in str(exc):  # one line, not the transport's internals
            where = args.address or os.environ.get("TEMPORAL_ADDRESS") or DEFAULT_ADDRESS
            print(
                f"podium worker: cannot reach Temporal at {where}: start `podium dev` in this "
                "folder, or point at your server with TEMPORAL_ADDRESS=host:port or "
                "--address host:port",
                file=sys.stderr,
            )
            code = 4
        else:
            print(f"podium worker: cannot run: {exc}", file=sys.stderr)
            code = 1
    except OSError as exc:
        print(f"podium worker: cannot run: {exc}", file=sys.stderr)
        code = 1
    flush_traces()
    sys.stdout.flush()
    sys.stderr.flush()
    # temporalio/sdk-python#300: the core's threads can abort interpreter teardown.
    os._exit(code)
