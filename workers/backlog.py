"""Each served task queue's backlog, as Prometheus gauges an autoscaler can follow.

A worker started with ``--metrics-port`` asks the server every ``PODIUM_BACKLOG_INTERVAL``
seconds (default 15) how many tasks wait on each queue it serves and how old the oldest
is (DescribeTaskQueue with stats: the server's approximate counts) and publishes
``podium_task_queue_backlog`` and ``podium_task_queue_backlog_age_seconds`` by
``task_queue`` and ``type`` (``workflow`` / ``activity``). Together with the runtime's own
``temporal_worker_task_slots_available`` / ``…_used`` an autoscaler sees both the queued
work and how busy the workers are (docs/running.md#autoscaling-workers).
"""

from __future__ import annotations

import asyncio
import logging
import os

from podium.activities.metric_names import Metric
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.service import RPCError

logger = logging.getLogger("podium.worker")
BACKLOG = Metric("podium_task_queue_backlog", "Tasks waiting for a worker (approximate)", "{task}")
BACKLOG_AGE = Metric(
    "podium_task_queue_backlog_age_seconds", "Age of the oldest task waiting (approximate)", "s"
)
INTERVAL_ENV = "PODIUM_BACKLOG_INTERVAL"
TYPES = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}


def interval_s() -> float:
    """Seconds between two looks (``PODIUM_BACKLOG_INTERVAL``, default 15)."""
    try:
        return max(0.1, float(os.environ.get(INTERVAL_ENV, "15")))
    except ValueError:
        return 15.0


async def report_backlog(
    client: Client, meter: MetricMeter, queues: dict[str, list[str]], every_s: float
) -> None:
    """Until cancelled: publish each queue's backlog (``queues``: name → task types)."""
    count, age = BACKLOG.gauge(meter), BACKLOG_AGE.gauge(meter)
    failing = False
    while True:
        try:
            for queue, kinds in queues.items():
                for kind in kinds:
                    response = await client.workflow_service.describe_task_queue(
                        DescribeTaskQueueRequest(
                            namespace=client.namespace,
                            task_queue=TaskQueue(name=queue),
                            task_queue_type=TYPES[kind],
                            report_stats=True,
                        )
                    )
                    stats = response.stats
                    labels = {"task_queue": queue, "type": kind}
                    count.set(int(stats.approximate_backlog_count), labels)
                    age.set(int(stats.approximate_backlog_age.ToSeconds()), labels)
            failing = False
        except RPCError as exc:  # the server is away for a moment: say so once
            if not failing:
                logger.warning("task queue backlog not available: %s", exc)
            failing = True
        await asyncio.sleep(every_s)
