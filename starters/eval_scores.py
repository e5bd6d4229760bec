"""Hand eval and judge scores to the workers: what ``podium eval`` calls once per suite.

``record`` starts one ``PodiumEvalScores`` workflow (see ``workflows/eval_scores.py`` for
why scores travel this way): the worker that runs it records ``podium_eval_score`` on its
metrics endpoint, and its result keeps the scores, which ``podium stats`` reads back
with ``read``.

    from podium.starters.eval_scores import record
    from podium.workflows.eval_scores import EvalScore, EvalScores

    await record(client, EvalScores(suite="support_triage", spec="support_triage",
                                    scores=[EvalScore(agent="reply-writer", score=0.8,
                                                      case="refund", scorer="judge")]))
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.workflows.eval_scores import EvalScores, PodiumEvalScores
from podium.workflows.search_attributes import SPEC
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes


async def record(
    client: Client, scores: EvalScores
) -> WorkflowHandle[PodiumEvalScores, EvalScores]:
    """Start recording ``scores`` (returns at once; a worker records them when it runs the
    workflow — ``await handle.result()`` to wait for that)."""
    pairs = [SearchAttributePair(SPEC, scores.spec)] if scores.spec else []
    return await client.start_workflow(
        PodiumEvalScores.run,
        scores,
        id=f"podium-eval-scores-{scores.suite}-{uuid.uuid4().hex[:12]}",
        task_queue=ORCHESTRATION_QUEUE,
        search_attributes=TypedSearchAttributes(pairs),
    )


async def read(client: Client, query: str, limit: int = 1000) -> dict[str, list[float]]:
    """The scores of the ``PodiumEvalScores`` workflows ``query`` lists, by agent."""
    handles: list[WorkflowHandle[Any, EvalScores]] = [
        client.get_workflow_handle(e.id, run_id=e.run_id, result_type=EvalScores)
        async for e in client.list_workflows(query, limit=limit)
        if e.status == WorkflowExecutionStatus.COMPLETED
    ]
    gate = asyncio.Semaphore(8)

    async def result(handle: WorkflowHandle[Any, EvalScores]) -> EvalScores:
        async with gate:
            return await handle.result()

    by_agent: dict[str, list[float]] = {}
    for recorded in await asyncio.gather(*(result(h) for h in handles)):
        for one in recorded.scores:
            by_agent.setdefault(one.agent, []).append(one.score)
    return by_agent
