"""``PodiumPlugin``: what a Temporal client, its workers and a replayer need to run a
user's own sandboxed workflow that uses Podium — and, if asked, Podium's own workflows.

Give it **once, to the client**; every worker built from that client gets it too:

    client = await Client.connect(address, plugins=[podium.PodiumPlugin()])
    worker = Worker(client, task_queue="my-queue", workflows=[MyWorkflow])

Agent calls made from such a workflow run on Podium's provider queues
(``podium-llm-<provider>``): serve them with ``podium worker``; a ``fast`` agent's first
attempt runs as a local activity on this worker. With ``podium_workflows=True`` the
worker also runs ``PodiumRun`` (and its map batches, the provider limiter, webhook
notifications, workload look-ups and tool calls): poll the orchestration queue
(``podium-orchestration``) with it then. Either way it registers exactly what ``podium
worker`` does (``workers.config.PodiumWorkerConfig``), and Podium's failures raised in
workflow code (``JoinFailed``, ``NoRoute``…) fail the workflow instead of retrying its
task for ever.

Given to a ``Worker`` rather than the client, the client must already use Podium's data
converter (the plugin cannot change a client's); the worker refuses to start otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import podium.workflows.calls  # noqa: F401 - loaded here, never first inside a sandbox
from podium.activities.payloads.limits import use_store
from podium.activities.payloads.settings import PayloadSettings
from podium.workers import key_failure_log
from podium.workers.config import PodiumWorkerConfig, kind_warnings
from podium.workers.worker import ConfigurationError
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkerConfig

logger = logging.getLogger("podium.worker")
T = TypeVar("T")


def _adding(extra: Sequence[T]) -> Callable[[Sequence[T] | None], Sequence[T]]:
    """Append ``extra`` to what the worker already has, skipping what it has (a client's
    and a worker's plugin, or ``build_workers``' own list, may name the same)."""

    def add(existing: Sequence[T] | None) -> Sequence[T]:
        have = list(existing or [])
        return have + [item for item in extra if item not in have]

    return add


class PodiumPlugin(SimplePlugin):
    """Podium's data converter (pydantic), sandbox pass-throughs, secret scrubbing, failure
    types and the fast path's local activities; with ``podium_workflows=True`` also its
    workflows and their orchestration activities.
    """

    def __init__(
        self, *, podium_workflows: bool = False, payloads: PayloadSettings | None = None
    ) -> None:
        """``payloads``: the payload store and encryption keys (default: from the
        environment, ``activities.payloads.settings``)."""
        config = (
            PodiumWorkerConfig(sandboxed=True, payloads=payloads)
            if podium_workflows
            else PodiumWorkerConfig.for_user_workflows(payloads)
        )
        self.config = config
        """What this plugin registers: the same object ``podium worker`` builds from."""
        super().__init__(
            "podium",
            data_converter=config.converter(),
            workflows=_adding(config.workflows),
            activities=_adding(config.activities),
            workflow_runner=config.runner,
            workflow_failure_exception_types=_adding(config.failure_exception_types),
            interceptors=config.interceptors(),
        )

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """See base class; also checks the client's converter and notes its payload store."""
        config = super().configure_worker(config)
        converter = config["client"].data_converter  # type: ignore[typeddict-item]
        if not issubclass(converter.payload_converter_class, PydanticPayloadConverter):
            raise ConfigurationError(
                "PodiumPlugin on a Worker whose client lacks Podium's data converter: give "
                "the plugin to the client instead (Client.connect(..., plugins=[PodiumPlugin()]))"
                ", and every worker built from it gets it too"
            )
        use_store(converter.external_storage is not None)
        key_failure_log.install()  # a missing encryption key: one line, no traceback
        if self.config.workflows:  # it runs PodiumRun: the kinds registered run in it
            for warning in kind_warnings():
                logger.warning(warning)
        return config
