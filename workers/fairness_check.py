"""Does the Temporal server honour fairness keys? ``podium worker`` asks once when it starts.

A run's ``priority.fairness`` (per market, per tenant) only works where the server has
task-queue fairness on: ``matching.enableFairness`` in a self-hosted server's dynamic
config (``podium dev`` and ``docker-compose.yml`` set it), a namespace setting on Temporal
Cloud. Without it the keys are carried and silently ignored. Nothing in Temporal's API says
which: the dynamic config cannot be read from a client, and GetSystemInfo's capabilities,
DescribeNamespace and DescribeTaskQueue answered the same with fairness on and off
(compared on the dev server, Temporal 1.32). So the worker asks by behaviour, the way a
backlog would show it: on a fresh task queue nobody polls, it starts three probe runs with
fairness keys ``a``, ``a``, ``b`` — each once the one before is in the backlog — and takes
their first workflow tasks itself. First in, first out (``b`` last) means the keys are
ignored; with fairness ``b`` comes second. The probe runs are deleted at once.

The order only tells within one task-queue partition: on a server with several per queue
(Temporal's default is 4; ``podium dev`` and the compose stack use 1) the tasks land on
partitions at random, so the check says nothing — nor when anything fails (a debug line).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DeleteWorkflowExecutionRequest,
    DescribeTaskQueueRequest,
    ListTaskQueuePartitionsRequest,
    PollWorkflowTaskQueueRequest,
)
from temporalio.client import Client
from temporalio.common import Priority

logger = logging.getLogger("podium.worker")

KEYS = ("a", "a", "b")
"""The probe runs' fairness keys, in the order they are queued."""
WAIT_S = 5.0
"""How long one step of the probe (a task reaching the backlog, a poll) may take."""

IGNORED = (
    "the Temporal server ignores fairness keys (namespace {namespace}): a run's "
    "priority.fairness (fair shares per market or tenant) does nothing there; set "
    "matching.enableFairness: true in the server's dynamic config "
    "(deploy/dynamicconfig/podium.yaml has it) or turn fairness on for the namespace on "
    "Temporal Cloud (docs/peak-season.md)"
)


async def fairness_ignored(client: Client) -> bool | None:
    """True when the server dispatched the probe's tasks first in, first out (fairness keys
    ignored), False when it honoured the keys, None when it cannot tell."""
    queue = f"podium-fairness-probe-{uuid.uuid4().hex[:12]}"
    service, namespace = client.workflow_service, client.namespace
    partitions = await service.list_task_queue_partitions(
        ListTaskQueuePartitionsRequest(namespace=namespace, task_queue=TaskQueue(name=queue))
    )
    if len(partitions.workflow_task_queue_partitions) != 1:
        logger.debug("fairness check skipped: task queues have several partitions here")
        return None
    ids = [f"{queue}-{n}" for n in range(len(KEYS))]
    try:
        for queued, (workflow_id, key) in enumerate(zip(ids, KEYS, strict=True), start=1):
            await client.start_workflow(
                "PodiumFairnessProbe",
                id=workflow_id,
                task_queue=queue,
                priority=Priority(fairness_key=key),
                execution_timeout=timedelta(minutes=1),  # deleted sooner; a safety net
                static_summary="podium worker: does this server honour fairness keys?",
            )
            if not await _backlog_reaches(client, queue, queued):
                return None
        order = [await _take_task(client, queue) for _ in ids]
    finally:
        await asyncio.gather(*(_delete(client, i) for i in ids), return_exceptions=True)
    if set(order) != set(ids):
        return None
    return order == ids


async def warn_if_fairness_ignored(client: Client) -> None:
    """Log one warning when the server ignores fairness keys; say nothing otherwise."""
    try:
        ignored = await fairness_ignored(client)
    except Exception as exc:  # noqa: BLE001 - a diagnostic: it must never stop the worker
        logger.debug("fairness check skipped: %s", exc)
        return
    if ignored:
        logger.warning(IGNORED.format(namespace=client.namespace))


async def _backlog_reaches(client: Client, queue: str, count: int) -> bool:
    """Wait until ``count`` workflow tasks are in the queue's backlog (its only partition)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        include_task_queue_status=True,
    )
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while asyncio.get_running_loop().time() < deadline:
        status = (await client.workflow_service.describe_task_queue(request)).task_queue_status
        if status.backlog_count_hint >= count:
            return True
        await asyncio.sleep(0.02)
    logger.debug("fairness check skipped: the probe's task %d never reached the backlog", count)
    return False


async def _take_task(client: Client, queue: str) -> str:
    """The workflow id of the next workflow task handed out on ``queue``."""
    response = await client.workflow_service.poll_workflow_task_queue(
        PollWorkflowTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue),
            identity="podium fairness check",
        ),
        timeout=timedelta(seconds=WAIT_S),
    )
    return response.workflow_execution.workflow_id


async def _delete(client: Client, workflow_id: str) -> None:
    await client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
        )
    )
