"""Executor of refine steps: producer → reviewer rounds until accepted or max_rounds."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.plan import RefineNode
    from workflows.state import RoundRecord, StepState

from workflows.patterns.refine import refine_loop
from workflows.steps.execute import Ctx, evaluate_in, execute, executor


@executor("refine")
async def run_refine(
    node: RefineNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Loop; the output is the last draft; rounds and convergence go to the run state."""

    def round_scope(round_no: int, draft: Any, feedback: Any, **extra: Any) -> dict[str, Any]:
        loop_vars = {"round": round_no, "draft": draft, "feedback": feedback, **extra}
        return {
            **scope,
            "vars": {**scope["vars"], **loop_vars},
            "_label": f"{node.id} round {round_no}",
        }

    async def produce(round_no: int, draft: Any, feedback: Any) -> Any:
        return await execute(node.producer, round_scope(round_no, draft, feedback), ctx, owner)

    async def review(round_no: int, draft: Any) -> Any:
        previous = reviews[-1] if reviews else None
        return await execute(node.reviewer, round_scope(round_no, draft, previous), ctx, owner)

    def accepted(round_no: int, draft: Any, review_out: Any) -> bool:
        loop = round_scope(round_no, draft, None, review=review_out)
        return bool(evaluate_in(node.id, "until", node.until, loop))

    reviews: list[Any] = []  # this loop's own reviews (owner may be an enclosing step)

    def on_round(round_no: int, draft: Any, review_out: Any, ok: bool) -> None:
        reviews.append(review_out)
        if owner is not None and owner.id == node.id:
            owner.rounds.append(
                RoundRecord(round=round_no, draft=draft, review=review_out, accepted=ok)
            )

    outcome = await refine_loop(produce, review, accepted, node.max_rounds, on_round)
    if owner is not None and owner.id == node.id:
        owner.converged = outcome.converged
    if not outcome.converged:
        ctx.state.flags.append(
            f"refine step {node.id!r} stopped after {node.max_rounds} rounds "
            "without the reviewer's acceptance; its output is the last draft"
        )
    return outcome.draft
