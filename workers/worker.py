"""Building Podium's workers: orchestration + one per provider task queue."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from podium.activities.contracts import BUILTIN_PROVIDERS, ProviderConfig
from podium.activities.errors import SetupError
from podium.activities.metric_names import HISTOGRAM_BUCKETS
from podium.activities.payloads.limits import use_store
from podium.activities.queues import provider_queue
from podium.compiler.catalog import CatalogFile, ProviderEntry, provider_config
from podium.compiler.problems import Problem, Reporter
from podium.compiler.yamlfile import FileReadError, YamlDocument, read_yaml
from podium.workers import key_failure_log
from podium.workers.config import PodiumWorkerConfig, kind_warnings
from podium.workers.tool_check import catalog_files
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker, WorkflowRunner

logger = logging.getLogger("podium.worker")

DEFAULT_ACTIVITY_SLOTS = 2000
"""Agent calls are I/O-bound; a 1,000-way fan-out of 1 s calls takes ≈11 s with the
SDK's default 100 slots and ≈3.8 s with 2,000 (measured on the dev server)."""


def workflow_runner(sandboxed: bool = False) -> WorkflowRunner:
    """How Podium's workflows run: directly (``podium worker`` by default, see
    ``PodiumWorkerConfig.sandboxed``), or in temporalio's sandbox with Podium's
    pass-through modules (``podium worker --sandbox``; the replay guard checks both)."""
    return PodiumWorkerConfig(sandboxed=sandboxed).runner()


class ConfigurationError(SetupError):
    """The worker cannot start as asked (e.g. a provider's API key is missing)."""


@dataclass
class WorkerOptions:
    """What one worker process serves."""

    providers: list[ProviderConfig] = field(
        default_factory=lambda: list(BUILTIN_PROVIDERS.values())
    )
    orchestration: bool = True
    activity_slots: int = DEFAULT_ACTIVITY_SLOTS
    sticky_timeout_s: float = 2.0
    config: PodiumWorkerConfig = field(default_factory=PodiumWorkerConfig)
    """What the workers register (the same as ``PodiumPlugin``'s), the sandbox, payloads."""


def metrics_runtime(bind_address: str) -> Runtime:
    """A Temporal runtime serving Prometheus metrics on ``bind_address`` (``host:port``).

    Clients connected with it (and workers built from them) report there: Temporal's own
    worker metrics and Podium's (``podium_*``, see ``activities.telemetry``).
    """
    prometheus = PrometheusConfig(
        bind_address=bind_address, histogram_bucket_overrides=HISTOGRAM_BUCKETS
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


def build_workers(client: Client, options: WorkerOptions) -> list[Worker]:
    """One ``Worker`` per task queue this process serves."""
    use_store(client.data_converter.external_storage is not None)
    key_failure_log.install()  # a missing encryption key: one line per retry, no traceback
    config = options.config
    workers = []
    if options.orchestration:
        for warning in kind_warnings():  # a kind of the user's that runs in PodiumRun
            logger.warning(warning)
        workers.append(
            Worker(
                client,
                **config.orchestration_worker(),
                # A dead worker's sticky queue is abandoned after this, not after 10 s.
                sticky_queue_schedule_to_start_timeout=timedelta(seconds=options.sticky_timeout_s),
                disable_eager_activity_execution=True,
            )
        )
    for provider in options.providers:
        workers.append(
            Worker(
                client,
                **config.provider_worker(provider_queue(provider.name)),
                max_concurrent_activities=provider.max_concurrency or options.activity_slots,
                # Enforced by the server across every worker polling this queue.
                max_task_queue_activities_per_second=provider.requests_per_second,
            )
        )
    return workers


def providers_from_catalogs(paths: list[Path]) -> list[ProviderConfig]:
    """Providers declared in the given catalog files (directories: every *.yaml inside).

    Only ``providers:`` is read (agents come from the plan). Raises ``ConfigurationError``
    listing every problem, each with its file and line, when a file cannot be read or a
    provider is invalid.
    """
    found: dict[str, ProviderConfig] = {}
    problems: list[Problem] = []
    for file in catalog_files(paths):
        report = Reporter(file)
        for name, entry in _providers_in(file, report).items():
            found[name] = provider_config(name, entry)
        problems += report.problems
    if problems:
        lines = "\n".join(str(p) for p in problems)
        raise ConfigurationError(
            f"cannot read the providers of the --catalog files (fix them, or leave them "
            f"out):\n{lines}"
        )
    return list(found.values())


def _providers_in(file: Path, report: Reporter) -> dict[str, ProviderEntry]:
    """The ``providers:`` of one catalog file ({} if it has none); problems go to ``report``."""
    try:
        doc = read_yaml(file, "agent catalog")
    except FileReadError as exc:
        report.file_error(exc)
        return {}
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        report.problem(doc, (), "an agent catalog must be a mapping (providers:, agents:)")
        return {}
    if "providers" not in doc.data:
        return {}
    only = YamlDocument(doc.path, {"providers": doc.data["providers"]}, doc.lines)
    catalog = report.validate(only, CatalogFile)
    return catalog.providers if catalog is not None else {}


def usable_providers(
    declared: list[ProviderConfig], required: list[str]
) -> tuple[list[ProviderConfig], list[str]]:
    """Split declared providers into those this worker can serve and warnings for the rest.

    Raises ``ConfigurationError`` if a ``required`` provider is unknown or lacks its key.
    """
    by_name = {p.name: p for p in declared}
    for name in required:
        if name not in by_name and name not in ("scripted", "function"):
            raise ConfigurationError(
                f"provider {name!r} is not declared in any catalog given with --catalog"
            )
    usable, warnings = [], []
    for provider in declared:
        env = provider.api_key_env
        if env and not os.environ.get(env):
            message = (
                f"not serving provider {provider.name!r} (queue {provider_queue(provider.name)}): "
                f"environment variable {env} is not set on this worker"
            )
            if provider.name in required:
                raise ConfigurationError(
                    message + f"; set {env} or drop --provider {provider.name}"
                )
            warnings.append(message)
            continue
        usable.append(provider)
    return usable, warnings
