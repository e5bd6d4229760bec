"""The ``refine`` step kind: producer → reviewer rounds until accepted or max_rounds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from podium.workflows.frame import Frame
    from podium.workflows.kinds.base import Node, NodeBase, StepKind, register
    from podium.workflows.run_context import RunContext
    from podium.workflows.state import RoundRecord

from podium.workflows.patterns.refine import refine_loop
from podium.workflows.spec import StepEntry
from podium.workflows.steps.execute import execute
from podium.workflows.steps.support import evaluate_in

if TYPE_CHECKING:
    from podium.workflows.compile_steps import StepCompiler
    from podium.workflows.graph import Graph
    from podium.workflows.step_graph import Scope
    from podium.workflows.yamlfile import Loc


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

    def draw(
        self, graph: Graph, node: RefineNode, exits: dict[str, str], prefix: str
    ) -> tuple[str, str]:
        from podium.workflows.graph import box_key, draw_node, tags

        key = box_key(prefix + node.id)
        p_in, p_out = draw_node(graph, node.producer, exits, prefix + node.id + "_")
        r_in, r_out = draw_node(graph, node.reviewer, exits, prefix + node.id + "_")
        exit_ = graph.add(key + "_until", f"{node.id}: until {node.until}{tags(node)}", "until")
        graph.link(p_out, r_in, "draft")
        graph.link(r_out, exit_, "review")
        graph.link(exit_, p_in, f"no, ≤ {node.max_rounds} rounds")
        return p_in, exit_


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


# -- compiling a spec step into this kind's node ----------------------------------------
def compile_refine(
    c: StepCompiler, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    spec = step.refine
    assert spec is not None
    ok = True
    for key in ("until", "max_rounds"):
        if getattr(spec, key) is None:
            c.report.problem(
                c.doc,
                loc + ("refine",),
                f"refine: needs {key}:",
                "until: an expression over vars.review (true = accepted); "
                "max_rounds: how many rounds at most",
            )
            ok = False
    loop = scope.with_vars("round", "feedback", "draft")
    producer = c.compile_step(
        spec.producer, loc + ("refine", "producer"), loop, auto_id=f"{common['id']}_producer"
    )
    reviewer = c.compile_step(
        spec.reviewer, loc + ("refine", "reviewer"), loop, auto_id=f"{common['id']}_reviewer"
    )
    if spec.until is not None:
        ok &= c.graph.expression(
            loc + ("refine", "until"), spec.until, loop.with_vars("review"), common["id"]
        )
    if not ok or producer is None or reviewer is None:
        return None
    return RefineNode(
        **common,
        producer=producer,
        reviewer=reviewer,
        until=spec.until or "",
        max_rounds=spec.max_rounds or 1,
    )


register(RefineKind(run=run_refine, build=compile_refine))
