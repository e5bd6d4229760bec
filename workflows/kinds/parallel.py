"""The ``parallel`` step kind: branches run independently, then join (all, any, quorum)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.errors import StepFailed
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import Node, NodeBase, StepKind
from podium.workflows.patterns.parallel import FATAL, JoinFailed, fan_out
from podium.workflows.run_context import RunContext
from podium.workflows.state import Progress
from podium.workflows.steps.execute import execute, skip_unreached
from podium.workflows.steps.support import describe, failure

if TYPE_CHECKING:
    pass


class Branch(Contract):
    """One branch of a parallel step: a sequence of steps; its output is the last one's."""

    id: str
    steps: list[Node]
    on_error: Literal["fail", "continue"] = "fail"
    """``fail``: a failed branch fails the join; ``continue``: record it and go on."""


class ParallelNode(NodeBase):
    """Run branches concurrently and join them."""

    kind: Literal["parallel"] = "parallel"
    branches: list[Branch]
    join: Literal["all", "any", "quorum"] = "all"
    quorum: int | None = None


class ParallelKind(StepKind):
    """``parallel: [steps or {steps: […]} branches]`` with ``join: all | any | {quorum: N}``."""

    name = "parallel"
    node = ParallelNode
    shape = "fork"
    summary = "run branches concurrently; join all, any (the first wins) or a quorum"

    def children(self, node: ParallelNode) -> list[Any]:
        return [s for b in node.branches for s in b.steps]

    def tracked_children(self, node: ParallelNode) -> list[Any]:
        return self.children(node)  # each branch step has its own entry in the run state

    def label(self, node: ParallelNode) -> str:
        join = f"quorum {node.quorum}" if node.join == "quorum" else node.join
        return f"parallel ({join}): " + ", ".join(b.id for b in node.branches)


async def run_parallel(node: ParallelNode, frame: Frame, ctx: RunContext) -> Any:
    """Run the branches concurrently; output = {branch id: its last step's output}.

    Each branch step records its own state as soon as it finishes, so steps that
    ``need`` one branch start without waiting for the slower ones. Branch steps that
    never start (a lost race, a failed earlier step) end as ``skipped`` so nothing
    waits on them forever.
    """
    mine = frame.owner if frame.owns(node.id) else None
    if mine is not None:
        mine.progress = Progress(total=len(node.branches))

    def branch_runner(branch: Branch):  # type: ignore[no-untyped-def]
        async def run() -> Any:
            output = None
            for step in branch.steps:
                output = await execute(step, frame, ctx)
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
