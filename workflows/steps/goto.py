"""Dynamic control as a value: an agent step's answer says which step runs next.

A top-level agent step with ``goto: {to: [...], max: N}`` may answer
``{"goto": "<step id>" | "end" | null, …}`` (its output schema asks for exactly those
choices, so a wrong one is repaired like any invalid answer). The interpreter honours it
within the spec's bounds: a jump back re-runs the target and every step after it up to
this one; a jump forward skips the steps in between; ``end`` skips the rest; null goes
on in order. A step may jump at most ``max`` times per run; one more fails it. This is
the loop a supervisor is built on (LangGraph's ``Command(goto=…)`` idea).
"""

from __future__ import annotations

from podium.activities.errors import StepFailed
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import Node, tracked
from podium.workflows.run_context import RunContext
from podium.workflows.state import JumpRecord
from temporalio import workflow


def goto_target(node: Node, frame: Frame) -> str | None:
    """The step the finished ``node``'s answer names (None: go on in order)."""
    if getattr(node, "goto", None) is None:
        return None
    result = frame.steps.get(node.id) or {}
    output = result.get("output")
    if result.get("status") != "completed" or not isinstance(output, dict):
        return None
    target = output.get("goto")
    return target if isinstance(target, str) else None


def jump(
    node: Node,
    target: str,
    nodes: list[Node],
    waiting: list[Node],
    frame: Frame,
    ctx: RunContext,
) -> list[Node]:
    """Apply ``node``'s jump to ``target``; return the steps still to run, in order."""
    goto = node.goto  # type: ignore[attr-defined]
    count = 1 + sum(1 for j in ctx.state.jumps if j.step == node.id)
    if count > goto.max:
        record = ctx.find(node.id)
        if record is not None:  # the step asked for more than its bound: it failed
            record.status, record.error_type = "failed", StepFailed.__name__
            record.error = f"goto: jump {count} of at most {goto.max}"
        raise StepFailed.failure(
            f"step {node.id!r} asked to go to {target!r}, jump {count} of at most "
            f"{goto.max} (goto.max); its answers: steps.{node.id}.output",
            step=node.id,
        )
    ctx.state.jumps.append(JumpRecord(step=node.id, to=target, at=workflow.now(), count=count))
    order = [n.id for n in nodes]
    here = order.index(node.id)
    if target == "end":
        skipped, rerun = nodes[here + 1 :], []
    elif order.index(target) <= here:
        skipped, rerun = [], nodes[order.index(target) : here + 1]
    else:
        skipped, rerun = nodes[here + 1 : order.index(target)], []
    for step in skipped:
        _skip(step, ctx, frame, f"{node.id!r} sent the run to {target!r}")
    for step in rerun:
        _reset(step, ctx)
    ctx.state.flags.append(f"{node.id} → {target} (jump {count} of at most {goto.max})")
    left = {n.id for n in waiting} | {n.id for n in rerun}
    left -= {n.id for n in skipped}
    return [n for n in nodes if n.id in left]


def _skip(step: Node, ctx: RunContext, frame: Frame, why: str) -> None:
    for inner in tracked([step]):
        record = ctx.find(inner.id)
        if record is not None and record.status == "pending":
            record.status = "skipped"
            record.skipped_reason = why
            ctx.finished += 1
    frame.steps[step.id] = {"output": None, "status": "skipped"}


def _reset(step: Node, ctx: RunContext) -> None:
    """Make a finished step pending again. Its spend so far stays counted, and its last
    output stays readable (``steps.<id>.output``: a writer reads the review that sent it
    back) until it runs again."""
    for inner in tracked([step]):
        record = ctx.find(inner.id)
        if record is None:
            continue
        if record.status != "pending":
            ctx.finished -= 1
        record.status = "pending"
        record.started_at = record.finished_at = None
        record.duration_ms = None
        record.output = record.error = record.error_type = record.skipped_reason = None
        record.tried, record.rounds, record.assignments = [], [], []
        record.tool_calls, record.turns, record.turn_costs = [], 0, []
        record.supervision = []
        record.tolerated = record.breached = False
        record.progress = record.route_case = record.converged = None
