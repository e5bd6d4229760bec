"""The ``approval`` step kind: ask people, escalate along the chain, decide by default at
the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.errors import ApprovalTimedOut
from podium.activities.templates import render
from podium.workflows.accuracy import decided, shown_agents
from podium.workflows.frame import Frame
from podium.workflows.gates import unlocked_by
from podium.workflows.kinds.base import NodeBase, StepKind
from podium.workflows.run_context import RunContext
from podium.workflows.steps.human_desk import (
    Level,
    close_by_timeout,
    open_request,
    wait_for_decision,
)
from podium.workflows.steps.support import evaluate_in, failure
from pydantic import Field

if TYPE_CHECKING:
    pass


class EscalationLevel(Contract):
    """After ``after_s`` seconds without a decision, the request moves to ``to``."""

    to: list[str]
    after_s: float


class ApprovalNode(NodeBase):
    """Ask people to approve or reject; the output is the decision."""

    kind: Literal["approval"] = "approval"
    title: str
    """Template (``{{ input.company }}``) rendered when the request opens."""
    details: str | None = None
    """Expression whose value is shown with the request."""
    approvers: list[str] = Field(default_factory=list)
    escalate: list[EscalationLevel] = Field(default_factory=list)
    timeout_s: float | None = None
    """How long the last level waits before ``on_timeout`` decides (None: forever)."""
    on_timeout: Literal["approve", "reject", "fail"] = "reject"


class ApprovalKind(StepKind):
    """``approval: {title, approvers, escalate: [{to, after}], timeout, on_timeout}``."""

    name = "approval"
    node = ApprovalNode
    shape = "approval"
    summary = "ask people to approve or reject, escalating along a chain"

    def label(self, node: ApprovalNode) -> str:
        return f"approval by {', '.join(node.approvers) or 'anyone'}"


def levels_of(node: ApprovalNode) -> list[Level]:
    """(approvers, wait) per level: the first approvers, then each escalation's ``to``."""
    who = [node.approvers] + [level.to for level in node.escalate]
    waits: list[float | None] = [*(level.after_s for level in node.escalate), node.timeout_s]
    return list(zip(who, waits, strict=True))


async def run_approval(node: ApprovalNode, frame: Frame, ctx: RunContext) -> Any:
    """Output: ``{approved, outcome, by, at, comment, channel, request}``."""
    scope, owner = frame.data, frame.owner
    try:
        title = render(node.title, scope)
    except Exception:  # a title must not stop the request from being asked
        title = node.title
    details = evaluate_in(node.id, "details", node.details, scope) if node.details else None
    request = open_request(ctx, "approval", node.id, title, details, on_timeout=node.on_timeout)
    request.unlocks = unlocked_by(node.id, ctx.gates)  # what a yes lets run
    decision = await wait_for_decision(ctx, request, levels_of(node))
    if decision is not None:  # a person's verdict on the work the request shows
        decided(ctx, shown_agents(ctx, [node.details, node.when]), decision.outcome == "approve")
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
    if owner is not None and frame.owns(node.id):
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
