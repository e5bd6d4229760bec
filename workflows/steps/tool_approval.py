"""A person approving one tool call of an agent, before it is made.

The request carries the exact call — tool, arguments, the turn, and what the model said
beside it — so approvers see what they approve (``podium inbox`` / ``podium show``, the
Web UI's current details and the request's timer). Declining, or nobody deciding in time,
is not a failure: the model is told the call was not made.
"""

from __future__ import annotations

from podium.activities.tool_contracts import ToolSpec
from podium.workflows.accuracy import decided
from podium.workflows.humans import AskedToolCall
from podium.workflows.run_context import RunContext
from podium.workflows.state import ToolCallRecord
from podium.workflows.steps.human_desk import close_by_timeout, open_request, wait_for_decision


async def approve_call(
    ctx: RunContext, step_id: str, tool: ToolSpec, asked: AskedToolCall, entry: ToolCallRecord
) -> str | None:
    """Ask the tool's approvers about ``asked``; None if approved (``entry`` records who),
    else why not, for the model."""
    assert tool.approval is not None
    entry.status = "waiting"
    request = open_request(
        ctx,
        "approval",
        step_id,
        f"{asked.agent} wants to call {tool.name}",
        asked.arguments,
        tool_call=asked,
        on_timeout="reject",
    )
    decision = await wait_for_decision(
        ctx, request, [(tool.approval.approvers, tool.approval.timeout_s)]
    )
    if decision is None:
        close_by_timeout(ctx, request, "reject")
        return f"nobody approved calling {tool.name!r} in time; it was not called"
    decided(ctx, [asked.agent], decision.outcome == "approve")
    if decision.outcome != "approve":
        comment = f": {decision.comment}" if decision.comment else ""
        return f"{decision.by} declined calling {tool.name!r}{comment}; it was not called"
    entry.approved_by = decision.by
    return None
