"""``PodiumPlugin``: what a Temporal client, its workers and a replayer need to run a
user's own sandboxed workflow that uses Podium — and, if asked, Podium's own workflows.

Give it **once, to the client**; every worker built from that client gets it too:

    client = await Client.connect(address, plugins=[podium.PodiumPlugin()])
    worker = Worker(client, task_queue="my-queue", workflows=[MyWorkflow])

Agent calls made from such a workflow run on Podium's provider queues
(``podium-llm-<provider>``): serve them with ``podium worker``. With
``podium_workflows=True`` the worker also runs ``PodiumRun`` (and its map batches, the
provider limiter, webhook notifications and workload look-ups): poll the orchestration
queue (``podium-orchestration``) with it then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import podium.workflows.calls  # noqa: F401 - loaded here, never first inside a sandbox
from podium.activities.notify import notify
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.limits import use_store
from podium.activities.payloads.settings import PayloadSettings
from podium.activities.secrets import ScrubbingInterceptor
from podium.activities.tools.run import run_tool
from podium.activities.workload import queue_load
from podium.workers.worker import PASSTHROUGH, WORKFLOWS
from temporalio.plugin import SimplePlugin
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


def with_podium_passthrough(runner: WorkflowRunner | None) -> WorkflowRunner:
    """``runner`` (default: the standard sandbox) letting Podium's deterministic modules
    through (``workers.worker.PASSTHROUGH`` says why each one may be)."""
    if runner is None:
        runner = SandboxedWorkflowRunner()
    if not isinstance(runner, SandboxedWorkflowRunner):
        return runner  # unsandboxed: nothing to let through
    restrictions: SandboxRestrictions = runner.restrictions
    return dataclasses.replace(
        runner, restrictions=restrictions.with_passthrough_modules(*PASSTHROUGH)
    )


class PodiumPlugin(SimplePlugin):
    """Podium's data converter (pydantic), sandbox pass-throughs and secret scrubbing;
    with ``podium_workflows=True`` also its workflows and their orchestration activities.
    """

    def __init__(
        self, *, podium_workflows: bool = False, payloads: PayloadSettings | None = None
    ) -> None:
        """``payloads``: the payload store and encryption keys (default: from the
        environment, ``activities.payloads.settings``)."""
        workflows: Sequence[type[Any]] | None = list(WORKFLOWS) if podium_workflows else None
        activities: Sequence[Callable[..., Any]] | None = (
            [notify, queue_load, run_tool] if podium_workflows else None
        )
        converter = data_converter(payloads)
        use_store(converter.external_storage is not None)
        super().__init__(
            "podium",
            data_converter=converter,
            workflows=workflows,
            activities=activities,
            workflow_runner=with_podium_passthrough,
            interceptors=[ScrubbingInterceptor()],
        )
