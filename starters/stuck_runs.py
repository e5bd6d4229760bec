"""Why a run makes no progress: the workers keep failing its workflow task.

A worker that cannot decode a run's data (it lacks the encryption key the client used)
or lacks a step kind the run uses fails the run's workflow task. Temporal retries the
task, so the run waits and loses nothing, but meanwhile nothing answers its ``status``
query (the server waits for the task, then times out) and its result never comes.
``runs.read_run`` asks here first, so ``podium status`` and ``podium run --wait`` say
what the workers report — and what to set on them — instead of hanging.
"""

from __future__ import annotations

import re
from typing import Any

from podium.activities.payloads.codec import KEY_ID, UnknownEncryptionKey
from podium.activities.payloads.settings import KEY_FILE_VARIABLE, KEYS_VARIABLE
from temporalio.api.common.v1 import WorkflowExecution as ExecutionRef
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import ApplicationError

_TASK_OUTCOMES = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
)
_OLD_WORKER_KEY_ERROR = "Unknown payload encoding binary/encrypted"
"""What a worker from before ``UnknownEncryptionKey`` says about an encrypted payload."""


async def stuck_reason(
    handle: WorkflowHandle[Any, Any], execution: WorkflowExecution
) -> str | None:
    """One line saying why the workers fail the run's workflow task and what to fix, or
    None when its task is not failing (``execution``: what ``describe`` said)."""
    pending = getattr(execution, "raw_description", None)
    if execution.status != WorkflowExecutionStatus.RUNNING or pending is None:
        return None
    if pending.pending_workflow_task.attempt < 2:  # not failed since it last completed
        return None
    failure = await _last_task_failure(handle)
    if failure is None:
        return None
    messages = await _messages(handle, failure)
    key = _key_problem(messages)
    if key is None:
        kind = next((kind for kind, _ in messages if kind), "error")
        said = "; ".join(text for _, text in messages if text)
        return (
            f"run {handle.id} is stuck: the workers fail its workflow task ({kind}: "
            f"{_one_line(said) or 'its message is encrypted with a key this client lacks'}); "
            "it waits and loses nothing until a worker can run it (the worker's log says more)"
        )
    key_id, differs = key
    key_id = key_id or await _input_key(handle) or "?"
    where = f"{KEYS_VARIABLE} (or {KEY_FILE_VARIABLE})"
    if differs:
        return (
            f"run {handle.id} is stuck: the workers cannot decrypt its data: their key "
            f"{key_id!r} is not the one that encrypted it; give every client and worker the "
            f"same key {key_id!r} in {where} (the run waits and loses nothing until then)"
        )
    return (
        f"run {handle.id} is stuck: the workers cannot decode its data, which is encrypted "
        f"with key {key_id!r}; add that key to {where} on the workers, as on this client "
        "(the run waits and loses nothing until one has it)"
    )


def _client(handle: WorkflowHandle[Any, Any]) -> Client:
    """The client the handle was made from (the SDK keeps no public reference to it)."""
    return handle._client


async def _last_task_failure(handle: WorkflowHandle[Any, Any]) -> Failure | None:
    """The failure of the run's last workflow task if the worker raised (newest first)."""
    client = _client(handle)
    request = GetWorkflowExecutionHistoryReverseRequest(
        namespace=client.namespace,
        execution=ExecutionRef(workflow_id=handle.id, run_id=handle.run_id or ""),
        maximum_page_size=50,
    )
    while True:
        page = await client.workflow_service.get_workflow_execution_history_reverse(request)
        for event in page.history.events:
            if event.event_type in _TASK_OUTCOMES:
                return _worker_failure(event)
        if not page.next_page_token:
            return None
        request.next_page_token = page.next_page_token


def _worker_failure(event: HistoryEvent) -> Failure | None:
    failed = event.workflow_task_failed_event_attributes
    unhandled = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
    if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED or failed.cause != unhandled:
        return None
    return failed.failure


async def _messages(handle: WorkflowHandle[Any, Any], failure: Failure) -> list[tuple[str, str]]:
    """(type, message) of the failure and its causes; a message stays "" when it is
    encrypted with a key this client lacks (types are never encrypted)."""
    kinds = []
    cause: Failure | None = failure
    while cause is not None:
        kinds.append(cause.application_failure_info.type)
        cause = cause.cause if cause.HasField("cause") else None
    try:
        error: BaseException | None = await _client(handle).data_converter.decode_failure(failure)
    except UnknownEncryptionKey:
        return [(kind, "") for kind in kinds]
    texts = []
    while error is not None:
        texts.append(error.message if isinstance(error, ApplicationError) else str(error))
        error = error.__cause__
    return list(zip(kinds, texts + [""] * (len(kinds) - len(texts)), strict=False))


def _key_problem(messages: list[tuple[str, str]]) -> tuple[str | None, bool] | None:
    """(key id if the message says it, keys differ) when a key is what the workers lack."""
    for kind, text in messages:
        if kind == UnknownEncryptionKey.__name__ or _OLD_WORKER_KEY_ERROR in text:
            return UnknownEncryptionKey.key_in(text), "keys differ" in text
    return None


async def _input_key(handle: WorkflowHandle[Any, Any]) -> str | None:
    """The id of the key that encrypted the run's input (in the clear on its payload)."""
    async for event in handle.fetch_history_events():
        for payload in event.workflow_execution_started_event_attributes.input.payloads:
            return payload.metadata.get(KEY_ID, b"").decode() or None
        return None
    return None


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
