"""Memory in a running step: the facts its agent reads (``recall``) and the fact kept
once it has completed (``remember``) — each one activity on the orchestration queue
(``activities/memory``), so the run's history holds what was read and a replay reads it
from there, never from the store.

A step's subject is evaluated where the step runs; an empty or null subject means no
memory for that execution (the agent receives ``memory: []``, nothing is kept). A write's
idempotency key is made once per execution of the step (``<workflow id>/<step>/<8 hex>``,
from the workflow's deterministic random), so every retry and replay of the write carries
the same key and the fact is kept once.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from podium.activities.errors import ExpressionFailed, MemoryFactTooLarge
from podium.activities.memory.activities import read_memory, write_memory
from podium.activities.memory.contracts import MemoryReadRequest, MemoryWriteRequest
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import NodeBase
from podium.workflows.steps.support import evaluate_in, failure
from temporalio import workflow
from temporalio.common import RetryPolicy

MEMORY_INPUT = "memory"
"""The input a reading step's agent receives the facts as."""
MAX_FACT_BYTES = 64 * 1024
"""A fact over this (as JSON) fails its step (``MemoryFactTooLarge``): facts are read back
into agents' inputs, several at a time."""
MEMORY_TIMEOUT = timedelta(seconds=60)
MEMORY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
"""A store that does not answer (``MemoryUnavailable``) or a worker without its settings
is retried until it does: the run waits and loses nothing."""


async def recall(node: NodeBase, frame: Frame) -> list[dict[str, Any]]:
    """The facts ``node``'s agent receives as its input ``memory`` (with provenance:
    ``{fact, run, step, at, expires}``, newest or best matching first)."""
    memory = node.memory
    assert memory is not None and memory.read is not None
    subject = _subject(node, frame.data)
    if subject is None:
        return []
    search = None
    if memory.read.search is not None:
        found = evaluate_in(node.id, "memory search", memory.read.search, frame.data)
        search = found if isinstance(found, str) or found is None else json.dumps(found)
    request = MemoryReadRequest(
        subject=subject,
        limit=memory.read.limit,
        search=search,
        run_id=_run_id(),
        step=frame.label or node.id,
    )
    result = await workflow.execute_activity(
        read_memory,
        request,
        task_queue=ORCHESTRATION_QUEUE,
        start_to_close_timeout=MEMORY_TIMEOUT,
        retry_policy=MEMORY_RETRY,
        summary=f"read memory · {frame.label or node.id}",
    )
    return [fact.model_dump(mode="json") for fact in result.facts]


async def remembering(work: Awaitable[Any], node: NodeBase, frame: Frame) -> Any:
    """``work`` (the step's own), then its fact kept; the step's output."""
    output = await work
    await remember(node, frame, output)
    return output


async def remember(node: NodeBase, frame: Frame, output: Any) -> None:
    """Keep the fact of ``node``'s ``memory: write:``, read with the step's ``output``."""
    memory = node.memory
    assert memory is not None and memory.write is not None
    scope = {**frame.data, "steps": {**frame.steps, node.id: {"output": output}}}
    subject = _subject(node, scope)
    if subject is None:
        return
    fact = evaluate_in(node.id, "memory fact", memory.write.fact, scope)
    if fact is None:
        return  # nothing to remember this time
    size = len(json.dumps(fact, ensure_ascii=False).encode())
    if size > MAX_FACT_BYTES:
        raise failure(
            f"step {node.id!r}: the fact to remember ({memory.write.fact!r}) is "
            f"{size / 1024:.0f} KB; facts are at most {MAX_FACT_BYTES // 1024} KB\nhint: "
            "remember a summary (a few fields of the output), not the whole document",
            MemoryFactTooLarge,
            step=node.id,
        )
    info = workflow.info()
    request = MemoryWriteRequest(
        subject=subject,
        fact=fact,
        write_key=f"{info.workflow_id}/{node.id}/{workflow.uuid4().hex[:8]}",
        run_id=_run_id(),
        step=frame.label or node.id,
        written_at=workflow.now(),
        run_started=info.workflow_start_time,
        ttl_s=memory.write.ttl_s,
    )
    await workflow.execute_activity(
        write_memory,
        request,
        task_queue=ORCHESTRATION_QUEUE,
        start_to_close_timeout=MEMORY_TIMEOUT,
        retry_policy=MEMORY_RETRY,
        summary=f"remember · {frame.label or node.id}",
    )


def _subject(node: NodeBase, scope: dict[str, Any]) -> str | None:
    """The subject's text (None: empty or null — no memory this time)."""
    assert node.memory is not None
    value = evaluate_in(node.id, "memory subject", node.memory.subject, scope)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise failure(
            f"step {node.id!r}: memory subject {node.memory.subject!r} is "
            f"{json.dumps(value)[:80]}, not a text or a number\nhint: name one subject, "
            "e.g. input.customer_id",
            ExpressionFailed,
            step=node.id,
        )
    return str(value)


def _run_id() -> str:
    """The run a fact comes from: a map batch's parent run, else this workflow."""
    info = workflow.info()
    if info.workflow_type == "PodiumMapBatch" and info.parent is not None:
        return info.parent.workflow_id
    return info.workflow_id
