"""Handing a failed step to a person: retry (maybe with new inputs), supply, skip, abort."""

from __future__ import annotations

from typing import Any

from podium.activities.errors import RunAborted
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import Node
from podium.workflows.run_context import RunContext
from podium.workflows.state import StepState
from podium.workflows.steps.human_desk import open_request, wait_for_decision
from podium.workflows.steps.support import failure


async def resolve_failure(
    node: Node,
    frame: Frame,
    ctx: RunContext,
    record: StepState | None,
    error_type: str,
    message: str,
    to: list[str] | None = None,
) -> tuple[str, Any]:
    """Wait for a person's decision on a failed step (``to``: who decides, when not the
    step's ``escalate_to`` — a tripped guard's ``escalate_to``).

    Returns ``("retry", edited inputs or None)``, ``("completed", output)`` for a
    supplied output, or ``("skipped", None)``; raises ``RunAborted`` on abort.
    """
    agent = getattr(node, "agent", None)
    request = open_request(
        ctx,
        "failure",
        node.id,
        title=f"Step {node.id!r} failed: {error_type}",
        details={"error": message, "agent": getattr(agent, "name", None)},
        failure=f"{error_type}: {message}",
        output_schema=getattr(agent, "output_schema", None),
    )
    if record is not None:
        record.status = "running"
    decision = await wait_for_decision(ctx, request, [(to or node.escalate_to, None)])
    assert decision is not None  # no deadline: only a decision ends the wait
    who = f"{decision.by} ({decision.channel})"
    if decision.outcome == "retry":
        ctx.state.flags.append(f"step {node.id!r} retried by {who} after {error_type}")
        return "retry", decision.inputs
    if decision.outcome == "supply":
        ctx.state.flags.append(f"step {node.id!r} output supplied by hand by {who}")
        return "completed", decision.output
    if decision.outcome == "skip":
        ctx.state.flags.append(f"step {node.id!r} skipped by {who} after {error_type}; output null")
        if record is not None:
            record.skipped_reason = f"skipped by {decision.by} after {error_type}"
        return "skipped", None
    reason = f": {decision.comment}" if decision.comment else ""
    raise failure(
        f"run aborted by {decision.by} at step {node.id!r} ({error_type}: {message}){reason}",
        RunAborted,
        step=node.id,
    )
