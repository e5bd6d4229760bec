"""The ``map`` step kind: a template per item, inline or in batches of child workflows.

Up to ``batch_size`` items run as activities of this workflow. Beyond that, items
run in child workflows of ``batch_size`` items each (deterministic ids), so the
parent's history grows by a few events per batch, not per item, and 10,000 items
stay far below Temporal's history limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.contracts import Usage
from podium.activities.errors import StepFailed
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.workflows.frame import Frame, ScopeData
from podium.workflows.gates import Gate
from podium.workflows.kinds.base import Node, NodeBase, StepKind, walk
from podium.workflows.patterns.map import map_bounded
from podium.workflows.patterns.parallel import FATAL
from podium.workflows.run_context import RunContext
from podium.workflows.state import AgentTotals, Progress, merge_agents
from podium.workflows.steps.execute import execute
from podium.workflows.steps.support import describe, ensure_fits, evaluate_in, failure
from pydantic import ConfigDict, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

if TYPE_CHECKING:
    pass

BATCH_WORKFLOW = "PodiumMapBatch"
INLINE_ALWAYS = 1_000_000
"""``batch_size`` of a map whose items may wait for people: they always run inline."""


class MapNode(NodeBase):
    """Run a step template once per item of a list known only at run time."""

    kind: Literal["map"] = "map"
    over: str
    as_: str = Field("item", alias="as")
    template: Node
    max_concurrency: int = 10
    batch_size: int = 100
    """Above this many items, items run in child workflows of this size."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MapKind(StepKind):
    """``map: {over: <expression>, as: name, max_concurrency: N}`` with ``step:``."""

    name = "map"
    node = MapNode
    shape = "map"
    summary = "a step template once per item of a list known at run time, bounded, batched"

    def children(self, node: MapNode) -> list[Any]:
        return [node.template]

    def label(self, node: MapNode) -> str:
        from podium.workflows.kinds.base import node_label

        return f"map over {node.over} → {node_label(node.template)}"


class MapBatchInput(Contract):
    """One batch of a map, run as a child workflow."""

    map_id: str
    template: Node
    as_: str
    items: list[Any]
    first_index: int
    scope: ScopeData
    """What the template's expressions read (input, steps, vars) — nothing else crosses."""
    max_concurrency: int
    payload_store: bool | None = None
    """The run's payload-store decision (``RunInput.payload_store``)."""
    gates: dict[str, Gate] = Field(default_factory=dict)
    """The approvals that gate the template's steps with side effects (``workflows.gates``):
    the batch checks them before each effect, as the run would."""


class MapBatchResult(Contract):
    """Outputs of one batch (in item order) and its spend."""

    outputs: list[Any]
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    agents: dict[str, AgentTotals] = Field(default_factory=dict)


async def run_items(
    node_id: str,
    template: Node,
    as_: str,
    items: list[Any],
    first_index: int,
    frame: Frame,
    ctx: RunContext,
    max_concurrency: int,
    progress: Progress | None = None,
) -> list[Any]:
    """Run the template for each item (inline), bounded, in order."""

    async def one(i: int, item: Any) -> Any:
        index = first_index + i
        item_frame = frame.with_vars(**{as_: item, "index": index}).labelled(f"{node_id}[{index}]")
        try:
            return await execute(template, item_frame, ctx)
        except (ActivityError, ApplicationError, ChildWorkflowError) as exc:
            error_type, message = describe(exc)
            if error_type in FATAL:
                raise  # the run was stopped (person, budget, deadline): not an item failure
            raise failure(
                f"step {node_id!r}: item {index} ({item!r}) failed: {error_type}: {message}",
                StepFailed,
                step=node_id,
                item=index,
            ) from None

    def done(_: int, __: Any) -> None:
        if progress is not None:
            progress.done += 1

    return await map_bounded(items, one, max_concurrency, done)


async def run_map(node: MapNode, frame: Frame, ctx: RunContext) -> Any:
    """Output: the list of the template's outputs, in input order."""
    owner = frame.owner
    items = evaluate_in(node.id, "map over", node.over, frame.data)
    if not isinstance(items, list):
        raise failure(
            f"step {node.id!r}: map over {node.over!r} gave {type(items).__name__} "
            f"{str(items)[:80]!r}, not a list",
            StepFailed,
            step=node.id,
        )
    progress = None
    if owner is not None and frame.owns(node.id):  # not an enclosing step's record
        progress = owner.progress = Progress(total=len(items))
    # Under a budget every call must reserve against the run's ledger, and under spend
    # windows a refused call waits on the run's people: run inline.
    inline = ctx.state.budget is not None or frame.caps or ctx.spend is not None
    if len(items) <= node.batch_size or inline:
        return await run_items(
            node.id,
            node.template,
            node.as_,
            items,
            0,
            frame,
            ctx,
            node.max_concurrency,
            progress,
        )
    return await _run_batches(node, items, frame, ctx, progress)


async def _run_batches(
    node: MapNode,
    items: list[Any],
    frame: Frame,
    ctx: RunContext,
    progress: Progress | None,
) -> list[Any]:
    per_child = min(node.batch_size, node.max_concurrency)
    children_at_once = max(1, node.max_concurrency // per_child)
    batches = [items[i : i + node.batch_size] for i in range(0, len(items), node.batch_size)]
    shared = frame.shared()
    run_id = workflow.info().workflow_id
    label = "".join(c for c in (frame.label or "") if c.isalnum() or c in "[]_-")

    async def one(k: int, batch: list[Any]) -> list[Any]:
        first = k * node.batch_size
        batch_input = MapBatchInput(
            map_id=node.id,
            template=node.template,
            as_=node.as_,
            items=batch,
            first_index=first,
            scope=shared,
            max_concurrency=per_child,
            payload_store=ctx.payload_store,
            gates={n.id: ctx.gates[n.id] for n in walk([node.template]) if n.id in ctx.gates},
        )
        ensure_fits(batch_input, node.id, f"the input of its batch {k} (items and run data)")
        try:
            result: MapBatchResult = await workflow.execute_child_workflow(
                BATCH_WORKFLOW,
                batch_input,
                id=f"{run_id}/{node.id}/batch-{k}" + (f"/{label}" if label else ""),
                task_queue=ORCHESTRATION_QUEUE,
                result_type=MapBatchResult,
                static_summary=f"{node.id} items {first}–{first + len(batch) - 1}",
            )
        except ChildWorkflowError as exc:
            _, message = describe(exc)
            raise failure(message, StepFailed, step=node.id) from None
        usage = Usage(input_tokens=result.input_tokens, output_tokens=result.output_tokens)
        ctx.charge(frame.owner, usage, result.cost_usd)
        merge_agents(ctx.state.agents, result.agents)
        if progress is not None:
            progress.done += len(batch)
        return result.outputs

    nested = await map_bounded(batches, one, children_at_once)
    return [out for batch in nested for out in batch]
