"""Executor of approval steps: ask, escalate along the chain, decide by default at the end."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.errors import ApprovalTimedOut
    from activities.templates import render
    from workflows.plan import ApprovalNode
    from workflows.state import StepState

from workflows.steps.execute import Ctx, evaluate_in, executor, failure
from workflows.steps.human_desk import Level, close_by_timeout, open_request, wait_for_decision


def levels_of(node: ApprovalNode) -> list[Level]:
    """(approvers, wait) per level: the first approvers, then each escalation's ``to``."""
    who = [node.approvers] + [level.to for level in node.escalate]
    waits: list[float | None] = [*(level.after_s for level in node.escalate), node.timeout_s]
    return list(zip(who, waits, strict=True))


@executor("approval")
async def run_approval(
    node: ApprovalNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Output: ``{approved, outcome, by, at, comment, channel, request}``."""
    try:
        title = render(node.title, scope)
    except Exception:  # a title must not stop the request from being asked
        title = node.title
    details = evaluate_in(node.id, "details", node.details, scope) if node.details else None
    request = open_request(ctx, "approval", node.id, title, details)
    decision = await wait_for_decision(ctx, request, levels_of(node))
    if decision is None:
        if node.on_timeout == "fail":
            close_by_timeout(ctx, request, "fail")
            raise failure(
                f"step {node.id!r}: approval {request.id!r} got no decision in time",
                ApprovalTimedOut,
                step=node.id,
            )
        decision = close_by_timeout(ctx, request, node.on_timeout)
    approved = decision.outcome == "approve"
    if owner is not None and owner.id == node.id:
        owner.agent = f"human:{decision.by}"
    return {
        "approved": approved,
        "outcome": "approved" if approved else "rejected",
        "by": decision.by,
        "at": decision.at.isoformat(),
        "comment": decision.comment,
        "channel": decision.channel,
        "request": request.id,
    }
