"""Executor of parallel steps: branches run independently, then join."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.errors import StepFailed
    from workflows.plan import Branch, ParallelNode
    from workflows.state import Progress, StepState

from workflows.patterns.parallel import FATAL, JoinFailed, fan_out
from workflows.steps.execute import Ctx, describe, execute, executor, failure, skip_unreached


@executor("parallel")
async def run_parallel(
    node: ParallelNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Run the branches concurrently; output = {branch id: its last step's output}.

    Each branch step records its own state as soon as it finishes, so steps that
    ``need`` one branch start without waiting for the slower ones. Branch steps that
    never start (a lost race, a failed earlier step) end as ``skipped`` so nothing
    waits on them forever.
    """
    mine = owner if owner is not None and owner.id == node.id else None
    if mine is not None:
        mine.progress = Progress(total=len(node.branches))

    def branch_runner(branch: Branch):  # type: ignore[no-untyped-def]
        async def run() -> Any:
            output = None
            for step in branch.steps:
                output = await execute(step, scope, ctx, owner)
            if mine is not None and mine.progress is not None:
                mine.progress.done += 1
            return output

        return run

    tolerate = {b.id for b in node.branches if b.on_error == "continue"}
    try:
        outcomes = await fan_out(
            {b.id: branch_runner(b) for b in node.branches}, node.join, node.quorum, tolerate
        )
    except JoinFailed as exc:
        if exc.cause is not None:
            if getattr(exc.cause, "type", None) in FATAL:
                raise exc.cause from None
            error_type, message = describe(exc.cause)
            raise failure(
                f"step {node.id!r}: branch failed — {message}",
                StepFailed,
                step=node.id,
                error_type=error_type,
            ) from None
        raise failure(f"step {node.id!r}: {exc}", StepFailed, step=node.id) from None
    finally:
        skip_unreached(node, ctx, "not reached: its branch ended before it started")
    for branch in node.branches:
        outcome = outcomes[branch.id]
        if outcome.status == "failed" and outcome.error is not None:
            _, message = describe(outcome.error)
            ctx.state.flags.append(
                f"branch {branch.id!r} of {node.id!r} failed ({message}); "
                "recorded and continued (on_error: continue)"
            )
            for step in branch.steps:
                record = ctx.find(step.id)
                if record is not None and record.status == "failed":
                    record.tolerated = True
            if mine is not None and mine.progress is not None:
                mine.progress.failed += 1
    return {name: outcome.value for name, outcome in outcomes.items()}
