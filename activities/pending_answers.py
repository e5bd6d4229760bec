"""Answers the payload store cannot take yet: kept on the worker, never asked for twice.

A large answer (over the store's threshold) travels as a reference to an object in the
payload store, written when the activity's result is encoded. If the store is down then,
the activity used to fail after the provider had answered (and been paid), Temporal ran it
again — calling the provider again — and after ``WORKER_RETRIES`` the step failed with a
``HeartbeatTimeout`` that named neither the store nor the wait.

Now ``run_agent`` (and ``run_tool``, whose calls the same outage would repeat) writes a
large answer to the store itself before it returns (``stored``). While the store refuses
it, the answer waits on this worker: the activity heartbeats ``waiting for the payload
store (… s so far) with the answer of …`` (the pending activity's heartbeat details in
the Web UI and ``temporal workflow describe``), logs it once, and tries again every few
seconds. If the call's time is nearly up it fails with ``PayloadStoreError`` saying what
it waited for. Meanwhile the answer is kept (``kept_answers``), so a run of the same
attempt on this worker after all — the SDK's own write failing in a new outage — returns
it without asking again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TypeVar

from podium.activities.errors import PayloadStoreError
from podium.activities.heartbeat import heartbeating
from podium.activities.kept_answers import keep
from podium.activities.payloads.limits import payload_bytes, store_in_use
from temporalio import activity
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
)
from temporalio.exceptions import ApplicationError

logger = logging.getLogger("podium.agent")
T = TypeVar("T")

RETRY_MAX_S = 5.0
"""The longest pause between two tries of the store."""
MARGIN_S = 5.0
"""Give up this long before the call's own time runs out, so the failure says why."""
ENVELOPE = 1024
"""Bytes the codec may add to a payload (an answer this close to the threshold is tried)."""


async def stored(result: T, what: str, heartbeat_s: float) -> T:
    """``result`` (the answer of ``what``: ``agent 'x' (step 'y')``), once the payload store
    holds it — at once when it needs no store; the activity's heartbeat timeout is
    ``heartbeat_s``."""
    converter = _converter()
    storage = converter.external_storage if converter is not None else None
    if converter is None or storage is None:
        return result
    size = payload_bytes(result)
    if size + ENVELOPE < storage.payload_size_threshold:
        return result  # travels inline
    since, pause = time.monotonic(), 0.5
    said: list[str] = []
    while True:
        try:
            async with heartbeating(max(0.2, heartbeat_s / 3), said):
                await converter.encode([result])  # the SDK's own write then finds it there
            break
        except PayloadStoreError as exc:
            keep(result, size)
            waited = time.monotonic() - since
            message = (
                f"waiting for the payload store ({waited:.0f} s so far) with the answer of "
                f"{what}, kept on this worker: {exc}"
            )
            if not said:
                logger.warning("%s", message)
            said[:] = [message]
            left = _time_left()
            if left is not None and left < pause + MARGIN_S:
                raise ApplicationError(
                    f"{message}; the call's time ran out (retry.max_elapsed)",
                    type=PayloadStoreError.__name__,
                    non_retryable=True,
                ) from None
            activity.heartbeat(*said)
            async with heartbeating(max(0.2, heartbeat_s / 3), said):
                await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_S)
    if said:
        logger.warning(
            "the payload store took the answer of %s after %.0f s", what, time.monotonic() - since
        )
    return result


def _converter() -> DataConverter | None:
    """The worker's converter, bound to this activity as the SDK binds the one that
    writes its result (so the store names the object by the run); None outside a worker
    or without a store."""
    if not store_in_use():
        return None
    try:
        converter = activity.client().data_converter
    except RuntimeError:  # an activity run by hand (tests), no client
        return None
    info = activity.info()
    context = ActivitySerializationContext(
        namespace=info.namespace,
        activity_id=info.activity_id,
        activity_type=info.activity_type,
        activity_task_queue=info.task_queue,
        workflow_id=info.workflow_id,
        workflow_type=info.workflow_type,
        is_local=info.is_local,
    )
    target = StorageDriverWorkflowInfo(
        namespace=info.namespace,
        id=info.workflow_id,
        type=info.workflow_type,
        run_id=info.workflow_run_id,
    )
    # (no public way to bind the store context; this is what the SDK's worker does)
    return converter._with_contexts(context, StorageDriverStoreContext(target=target))


def _time_left() -> float | None:
    """Seconds until this activity's own timeouts end it (None: no end)."""
    info = activity.info()
    now = datetime.now(UTC)
    ends = []
    if info.schedule_to_close_timeout:
        ends.append(info.scheduled_time + info.schedule_to_close_timeout)
    if info.start_to_close_timeout:
        ends.append(info.started_time + info.start_to_close_timeout)
    return min((end - now).total_seconds() for end in ends) if ends else None
