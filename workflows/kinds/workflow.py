"""The ``workflow`` step kind: another spec's plan runs as a child ``PodiumRun``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.activities.contracts import Usage
from podium.activities.errors import BudgetExceeded, StepBudgetExceeded, StepFailed
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.validation import schema_errors
from podium.workflows import search_attributes as sa
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import NodeBase, Plan, StepKind
from podium.workflows.run_context import RunContext
from podium.workflows.run_input import RunInput
from podium.workflows.state import RunResult, merge_agents
from podium.workflows.steps.budget import (
    Reservation,
    hold,
    ledgers,
    remaining,
    settle,
    spend,
    tighter,
)
from podium.workflows.steps.support import describe, ensure_fits, evaluate_inputs, failure
from pydantic import Field
from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

if TYPE_CHECKING:
    pass

RUN_WORKFLOW = "PodiumRun"


class WorkflowNode(NodeBase):
    """Run another spec as a child workflow."""

    kind: Literal["workflow"] = "workflow"
    plan: Plan
    inputs: dict[str, str] = Field(default_factory=dict)


class WorkflowKind(StepKind):
    """``workflow: <spec path>`` with ``with:`` for the child's input."""

    name = "workflow"
    node = WorkflowNode
    shape = "child"
    summary = "another spec, run as a child workflow (its own history, budget held for it)"

    def label(self, node: WorkflowNode) -> str:
        return f"sub-workflow {node.plan.name}"


async def run_child(node: WorkflowNode, frame: Frame, ctx: RunContext) -> Any:
    """Start the child, wait for it, roll its spend up, return its output."""
    owner = frame.owner
    child_input = evaluate_inputs(node.id, node.inputs, frame.data)
    errors = schema_errors(child_input, node.plan.input_schema)
    if errors:
        raise failure(
            f"step {node.id!r}: input for sub-workflow {node.plan.name!r} does not match "
            f"its input schema: {'; '.join(errors[:5])}",
            StepFailed,
            step=node.id,
        )
    child_id = f"{workflow.info().workflow_id}/{node.id}"
    if frame.label:
        child_id += f"/{frame.label}".replace(" ", "")
    if owner is not None and frame.owns(node.id):
        owner.child_workflow_id = child_id
        owner.agent = f"workflow:{node.plan.name}"
    plan = node.plan
    limit = remaining(ctx, frame)
    held: Reservation | None = None
    if limit is not None:  # the child may spend what is left here, held for it meanwhile
        plan = plan.model_copy(update={"budget": tighter(plan.budget, limit)})
        held = hold(ledgers(ctx, frame), limit)
    child = RunInput(plan=plan, input=child_input, payload_store=ctx.payload_store)
    if ctx.spend is not None:  # the child spends under this run's windows too
        child.spend = list(ctx.spend.windows)
    ensure_fits(child, node.id, "the sub-workflow's input (its plan and input)")
    try:
        result: RunResult = await workflow.execute_child_workflow(
            RUN_WORKFLOW,
            child,
            id=child_id,
            task_queue=ORCHESTRATION_QUEUE,
            result_type=RunResult,
            static_summary=f"{node.plan.name} (sub-workflow of {child_id.rsplit('/', 1)[0]})",
            parent_close_policy=ParentClosePolicy.TERMINATE,
            search_attributes=TypedSearchAttributes([SearchAttributePair(sa.SPEC, node.plan.name)]),
        )
    except ChildWorkflowError as exc:
        spent = _spent(exc)  # a failed child's spend rolls up too
        settle(held, None, 0.0)
        held = None
        if spent is not None:
            usage, cost = spent
            ctx.charge(owner, usage, cost)
            spend(ledgers(ctx, frame), usage, cost)
        error_type, message = describe(exc)
        if error_type == BudgetExceeded.__name__ and ctx.state.budget is None:
            # what ran out was a cap of an enclosing step, not this run's budget
            raise failure(message, StepBudgetExceeded, step=node.id) from None
        raise
    finally:
        settle(held, None, 0.0)
    ctx.charge(owner, result.state.usage, result.state.cost_usd)
    merge_agents(ctx.state.agents, result.state.agents)
    spend(ledgers(ctx, frame), result.state.usage, result.state.cost_usd)
    ctx.state.flags.extend(f"{node.id} › {flag}" for flag in result.state.flags)
    return result.output


def _spent(exc: ChildWorkflowError) -> tuple[Usage, float] | None:
    """The spend a failed child run reported with its failure (see ``PodiumRun.run``)."""
    for detail in getattr(exc.cause, "details", None) or ():
        if isinstance(detail, dict) and "podium_spend" in detail:
            spent = detail["podium_spend"]
            return Usage.model_validate(spent["usage"]), float(spent["cost_usd"])
    return None
