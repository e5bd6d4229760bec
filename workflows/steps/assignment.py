"""Picking the agent for a capability step at run time, and recording why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from podium.activities.contracts import AgentConfig
from podium.activities.errors import StepFailed
from podium.activities.queues import ORCHESTRATION_QUEUE, provider_queue
from podium.activities.workload import QueueLoad, QueueLoadInput, queue_load
from podium.workflows.patterns.assign import cheapest_tie, eligible, price_of
from podium.workflows.steps.support import evaluate_inputs, failure
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError


async def assign(
    step_id: str,
    capability: str | None,
    candidates: list[AgentConfig],
    require: dict[str, str],
    scope: dict[str, Any],
) -> tuple[list[AgentConfig], str]:
    """Eligible agents of a capability step, best first, and the reason the first was
    chosen (``require``: requirement name → expression over ``scope``).

    Requirements filter; price ranks; between equally cheap agents the one whose provider
    queue has the smaller backlog (as the server reports it) goes first.
    """
    wanted = evaluate_inputs(step_id, require, scope)
    ranked = eligible(candidates, wanted)
    shown = ", ".join(f"{k}={v}" for k, v in wanted.items()) or "none"
    if not ranked:
        names = ", ".join(a.name for a in candidates)
        raise failure(
            f"step {step_id!r}: no agent with capability {capability!r} meets "
            f"{shown} (candidates: {names})",
            StepFailed,
            step=step_id,
        )
    tied = cheapest_tie(ranked)
    reason = f"capability {capability}, requirements {shown}; price {price_of(ranked[0]):g}/Mtok"
    if len(tied) > 1:
        queues = sorted({provider_queue(a.provider.name) for a in tied})
        try:
            load: QueueLoad = await workflow.execute_activity(
                queue_load,
                QueueLoadInput(queues=queues),
                task_queue=ORCHESTRATION_QUEUE,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=2),
                summary=f"workload · {step_id}",
            )
            backlog = load.backlog
        except ActivityError:
            backlog = {}
        tied.sort(key=lambda a: (backlog.get(provider_queue(a.provider.name), 0), a.name))
        ranked = tied + [a for a in ranked if a not in tied]
        loads = ", ".join(
            f"{a.name}: {backlog.get(provider_queue(a.provider.name), '?')}" for a in tied
        )
        reason += f"; {len(tied)} tied on price, backlog {loads}"
    return ranked, f"chose {ranked[0].name} ({reason})"
