"""``PodiumPlugin``: everything a Temporal worker (or client, or replayer) needs to run
Podium's workflows, or a user's own sandboxed workflow that uses Podium's helpers.

    client = await Client.connect(address, plugins=[PodiumPlugin()])
    worker = Worker(client, task_queue="my-queue", workflows=[MyWorkflow],
                    plugins=[PodiumPlugin(podium_workflows=False)])

Agent calls made from such a workflow run on Podium's provider queues
(``podium-llm-<provider>``): serve them with ``podium worker``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from podium.activities.secrets import ScrubbingInterceptor
from podium.workers.worker import PASSTHROUGH, WORKFLOWS
from temporalio.contrib.pydantic import pydantic_data_converter
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
    """Podium's data converter (pydantic), sandbox pass-throughs, secret scrubbing and —
    unless ``podium_workflows=False`` — its workflows (``PodiumRun``, map batches, the
    provider limiter)."""

    def __init__(self, *, podium_workflows: bool = True) -> None:
        workflows: Sequence[type[Any]] | None = list(WORKFLOWS) if podium_workflows else None
        super().__init__(
            "podium",
            data_converter=pydantic_data_converter,
            workflows=workflows,
            workflow_runner=with_podium_passthrough,
            interceptors=[ScrubbingInterceptor()],
        )
