"""Task-queue workload as the Temporal server reports it (DescribeTaskQueue)."""

from __future__ import annotations

from podium.activities.contract_base import Contract
from temporalio import activity
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest


class QueueLoadInput(Contract):
    """Queues to look at."""

    queues: list[str]


class QueueLoad(Contract):
    """Approximate activity backlog per queue."""

    backlog: dict[str, int]


@activity.defn(name="podium.queue_load")
async def queue_load(request: QueueLoadInput) -> QueueLoad:
    """Backlog (activities waiting for a worker) of each queue."""
    client = activity.client()
    backlog: dict[str, int] = {}
    for queue in request.queues:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
                report_stats=True,
            )
        )
        backlog[queue] = int(response.stats.approximate_backlog_count)
    return QueueLoad(backlog=backlog)
