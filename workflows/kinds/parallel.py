"""The ``parallel`` step kind: branches run independently, then join (all, any, quorum)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from podium.activities.contracts import Contract
    from podium.activities.errors import StepFailed
    from podium.workflows.frame import Frame
    from podium.workflows.kinds.base import Node, NodeBase, StepKind, register
    from podium.workflows.run_context import RunContext
    from podium.workflows.state import Progress

from podium.workflows.patterns.parallel import FATAL, JoinFailed, fan_out
from podium.workflows.spec import QuorumEntry, StepEntry
from podium.workflows.steps.execute import execute, skip_unreached
from podium.workflows.steps.support import describe, failure

if TYPE_CHECKING:
    from podium.workflows.compile_steps import StepCompiler
    from podium.workflows.graph import Graph
    from podium.workflows.step_graph import Scope
    from podium.workflows.yamlfile import Loc


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

    def draw(
        self, graph: Graph, node: ParallelNode, exits: dict[str, str], prefix: str
    ) -> tuple[str, str]:
        from podium.workflows.graph import box_key, draw_node, tags

        key = box_key(prefix + node.id)
        join = f"quorum {node.quorum}" if node.join == "quorum" else node.join
        entry = graph.add(key, f"{node.id}: parallel{tags(node)}", "fork")
        exit_ = graph.add(key + "_join", f"join {join}", "join")
        for branch in node.branches:
            previous = entry
            for step in branch.steps:
                s_in, s_out = draw_node(graph, step, exits, prefix)
                graph.link(
                    previous,
                    s_in,
                    "" if previous != entry or branch.on_error == "fail" else "on error: continue",
                )
                previous = s_out
            graph.link(previous, exit_)
        return entry, exit_


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


# -- compiling a spec step into this kind's node ----------------------------------------
def compile_parallel(
    c: StepCompiler, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    branches, ok = [], True
    for j, item in enumerate(step.parallel or []):
        seq = item.steps if item.steps is not None else [item]
        nodes, inner_scope = [], scope
        for k, inner in enumerate(seq):
            inner_loc = loc + ("parallel", j) + (("steps", k) if item.steps is not None else ())
            node = c.compile_step(inner, inner_loc, inner_scope, branch=item.steps is None)
            ok &= node is not None
            if node is not None:
                nodes.append(node)
                if node.id in c.graph.named:
                    inner_scope = inner_scope.with_done(c.graph.implied(node.id))
        if nodes:
            branches.append(Branch(id=item.id or nodes[0].id, steps=nodes, on_error=item.on_error))
    if not step.parallel:
        c.report.problem(c.doc, loc + ("parallel",), "parallel: has no branches")
        return None
    join, quorum = (step.join, None) if isinstance(step.join, str) else ("quorum", step.join.quorum)
    if isinstance(step.join, QuorumEntry) and step.join.quorum > len(step.parallel):
        c.report.problem(
            c.doc,
            loc + ("join",),
            f"quorum {step.join.quorum} is more than the {len(step.parallel)} branches",
            "lower the quorum or add branches",
        )
        ok = False
    return ParallelNode(**common, branches=branches, join=join, quorum=quorum) if ok else None


register(ParallelKind(run=run_parallel, build=compile_parallel))
