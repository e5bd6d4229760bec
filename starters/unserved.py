"""Work a run waits for on a task queue that no worker polls.

A worker serves the providers of the catalogs it was started with (``podium worker
--catalog``, ``podium dev``): an agent call to a provider added to a catalog since then
waits on ``podium-llm-<provider>`` for a worker that never comes, and the run just
stays "running". ``podium status`` and ``podium run --wait`` say so, naming the queue
and what to restart, from the run's pending activities (each one's queue) and the
queue's pollers (Temporal's ``DescribeTaskQueue``).
"""

from __future__ import annotations

from typing import Any

from podium.activities.queues import PROVIDER_QUEUE_PREFIX
from temporalio.api.enums.v1 import PendingActivityState, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

_WAITING = PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
"""An activity no worker has picked up (yet, or since its last attempt)."""


async def unserved_lines(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """One line per task queue the run has work waiting on and no worker polls (empty
    when it has none, or when Temporal cannot say)."""
    try:
        execution = await handle.describe()
        if execution.status != WorkflowExecutionStatus.RUNNING:
            return []
        waiting = {
            pending.activity_options.task_queue.name
            for pending in execution.raw_description.pending_activities
            if pending.state == _WAITING and pending.activity_options.task_queue.name
        }
        return [
            unserved_line(queue) for queue in sorted(waiting) if not await _polled(handle, queue)
        ]
    except RPCError:  # a hint only: never in the way of what the command shows
        return []


async def _polled(handle: WorkflowHandle[Any, Any], queue: str) -> bool:
    """Whether any worker polls ``queue`` for activities (recently, as Temporal counts)."""
    client = handle._client  # the SDK keeps no public reference to it
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        )
    )
    return bool(answer.pollers)


def unserved_line(queue: str) -> str:
    """What waits on ``queue``, that no worker polls it, and what to do."""
    if queue.startswith(PROVIDER_QUEUE_PREFIX):
        provider = queue.removeprefix(PROVIDER_QUEUE_PREFIX)
        return (
            f"no worker serves provider {provider!r}: its calls wait on task queue {queue}, "
            "which no worker polls — restart podium worker (or podium dev) with the catalog "
            "that declares it (a worker serves the providers of the catalogs it was started "
            "with)"
        )
    return (
        f"work of this run waits on task queue {queue}, which no worker polls — start a "
        "worker that serves it"
    )
