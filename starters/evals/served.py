"""Before a suite starts its runs: is there a worker for them?

An eval's cases are ordinary runs, served by the workers of the namespace (``podium
dev``, ``podium worker``). Without a worker polling the orchestration queue, or one
serving a provider the spec's agents call, every case would wait out its timeout; so
``podium eval`` asks Temporal (``DescribeTaskQueue``) first and says what to start.
"""

from __future__ import annotations

import asyncio
import time

from podium.activities.queues import ORCHESTRATION_QUEUE, provider_queue
from podium.starters.unserved import unserved_line
from podium.workflows.plan import Plan
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

WAIT_S = 5.0
"""How long to wait for pollers to show up (a worker started a moment ago)."""


async def missing_workers(client: Client, plan: Plan, wait_s: float = WAIT_S) -> list[str]:
    """One line per task queue the plan's runs need and no worker polls (empty: served)."""
    queues = [(ORCHESTRATION_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)]
    providers = sorted({agent.provider.name for agent in plan.agents_used().values()})
    queues += [(provider_queue(p), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY) for p in providers]
    deadline = time.monotonic() + wait_s
    while True:
        missing = [name for name, kind in queues if not await _polled(client, name, kind)]
        if not missing or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    return [_line(queue) for queue in missing]


async def _polled(client: Client, queue: str, kind: TaskQueueType.ValueType) -> bool:
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind
        )
    )
    return bool(answer.pollers)


def _line(queue: str) -> str:
    if queue == ORCHESTRATION_QUEUE:
        return (
            f"no worker runs Podium runs here (task queue {queue} has no poller): start "
            "`podium dev` in this folder, or `podium worker` against this Temporal"
        )
    return unserved_line(queue)
