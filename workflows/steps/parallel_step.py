"""Executor of parallel steps: branches run independently, then join."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.plan import Branch, ParallelNode
    from workflows.state import Progress, StepState

from workflows.patterns.parallel import JoinFailed, fan_out
from workflows.steps.execute import Ctx, describe, execute, executor, failure


@executor("parallel")
async def run_parallel(
    node: ParallelNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Run the branches concurrently; output = {branch id: its last step's output}.

    Each branch step records its own state as soon as it finishes, so steps that
    ``need`` one branch start without waiting for the slower ones.
    """
    if owner is not None:
        owner.progress = Progress(total=len(node.branches))

    def branch_runner(branch: Branch):  # type: ignore[no-untyped-def]
        async def run() -> Any:
            output = None
            for step in branch.steps:
                output = await execute(step, scope, ctx, owner)
            if owner is not None and owner.progress is not None:
                owner.progress.done += 1
            return output

        return run

    tolerate = {b.id for b in node.branches if b.on_error == "continue"}
    try:
        outcomes = await fan_out(
            {b.id: branch_runner(b) for b in node.branches}, node.join, node.quorum, tolerate
        )
    except JoinFailed as exc:
        if exc.cause is not None:
            error_type, message = describe(exc.cause)
            raise failure(
                f"step {node.id!r}: branch failed — {message}",
                "StepFailed",
                step=node.id,
                error_type=error_type,
            ) from None
        raise failure(f"step {node.id!r}: {exc}", "StepFailed", step=node.id) from None
    for name, outcome in outcomes.items():
        if outcome.status == "failed" and outcome.error is not None:
            error_type, message = describe(outcome.error)
            ctx.state.flags.append(
                f"branch {name!r} of {node.id!r} failed ({message}); "
                "recorded and continued (on_error: continue)"
            )
            if owner is not None and owner.progress is not None:
                owner.progress.failed += 1
    return {name: outcome.value for name, outcome in outcomes.items()}
