"""The ``refine`` step kind: producer → reviewer rounds until accepted or max_rounds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.workflows.accuracy import agent_of, reviewed
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import Node, NodeBase, StepKind
from podium.workflows.patterns.refine import refine_loop
from podium.workflows.run_context import RunContext
from podium.workflows.state import RoundRecord
from podium.workflows.steps.execute import execute
from podium.workflows.steps.support import evaluate_in

if TYPE_CHECKING:
    pass


class RefineNode(NodeBase):
    """Producer and reviewer in a loop until ``until`` holds or ``max_rounds``."""

    kind: Literal["refine"] = "refine"
    producer: Node
    reviewer: Node
    until: str
    max_rounds: int = 3


class RefineKind(StepKind):
    """``refine: {producer: step, reviewer: step, until: <expression>, max_rounds: N}``."""

    name = "refine"
    node = RefineNode
    shape = "until"
    summary = "a producer and a reviewer in rounds until the review accepts, or N rounds"

    def children(self, node: RefineNode) -> list[Any]:
        return [node.producer, node.reviewer]

    def label(self, node: RefineNode) -> str:
        from podium.workflows.kinds.base import node_label

        return (
            f"refine {node_label(node.producer)} ⇄ {node_label(node.reviewer)}, "
            f"≤ {node.max_rounds} rounds"
        )


async def run_refine(node: RefineNode, frame: Frame, ctx: RunContext) -> Any:
    """Loop; the output is the last draft; rounds and convergence go to the run state."""

    owner = frame.owner

    def round_frame(round_no: int, draft: Any, feedback: Any, **extra: Any) -> Frame:
        loop_vars = {"round": round_no, "draft": draft, "feedback": feedback, **extra}
        return frame.with_vars(**loop_vars).labelled(f"{node.id} round {round_no}")

    async def produce(round_no: int, draft: Any, feedback: Any) -> Any:
        return await execute(node.producer, round_frame(round_no, draft, feedback), ctx)

    async def review(round_no: int, draft: Any) -> Any:
        previous = reviews[-1] if reviews else None
        return await execute(node.reviewer, round_frame(round_no, draft, previous), ctx)

    def accepted(round_no: int, draft: Any, review_out: Any) -> bool:
        loop = round_frame(round_no, draft, None, review=review_out)
        return bool(evaluate_in(node.id, "until", node.until, loop.data))

    reviews: list[Any] = []  # this loop's own reviews (owner may be an enclosing step)

    def on_round(round_no: int, draft: Any, review_out: Any, ok: bool) -> None:
        reviews.append(review_out)
        reviewed(ctx, agent_of(node.producer), agent_of(node.reviewer), ok)
        if owner is not None and frame.owns(node.id):
            owner.rounds.append(
                RoundRecord(round=round_no, draft=draft, review=review_out, accepted=ok)
            )

    outcome = await refine_loop(produce, review, accepted, node.max_rounds, on_round)
    if owner is not None and frame.owns(node.id):
        owner.converged = outcome.converged
    if not outcome.converged:
        ctx.state.flags.append(
            f"refine step {node.id!r} stopped after {node.max_rounds} rounds "
            "without the reviewer's acceptance; its output is the last draft"
        )
    return outcome.draft
