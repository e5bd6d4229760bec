"""Executor of sub-workflow steps: another spec's plan runs as a child ``PodiumRun``."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.queues import ORCHESTRATION_QUEUE
    from activities.validation import schema_errors
    from workflows.plan import RunInput, WorkflowNode
    from workflows.state import RunResult, StepState, merge_agents

from workflows.steps.budget import ledgers, remaining, spend, tighter
from workflows.steps.execute import Ctx, evaluate_inputs, executor, failure

RUN_WORKFLOW = "PodiumRun"


@executor("workflow")
async def run_child(
    node: WorkflowNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Start the child, wait for it, roll its spend up, return its output."""
    child_input = evaluate_inputs(node.id, node.inputs, scope)
    errors = schema_errors(child_input, node.plan.input_schema)
    if errors:
        raise failure(
            f"step {node.id!r}: input for sub-workflow {node.plan.name!r} does not match "
            f"its input schema: {'; '.join(errors[:5])}",
            "StepFailed",
            step=node.id,
        )
    child_id = f"{workflow.info().workflow_id}/{node.id}"
    if scope.get("_label"):
        child_id += f"/{scope['_label']}".replace(" ", "")
    if owner is not None and owner.id == node.id:
        owner.child_workflow_id = child_id
        owner.agent = f"workflow:{node.plan.name}"
    plan = node.plan
    limit = remaining(ctx, scope)
    if limit is not None:  # the child may spend at most what is left here
        plan = plan.model_copy(update={"budget": tighter(plan.budget, limit)})
    result: RunResult = await workflow.execute_child_workflow(
        RUN_WORKFLOW,
        RunInput(plan=plan, input=child_input),
        id=child_id,
        task_queue=ORCHESTRATION_QUEUE,
        result_type=RunResult,
        static_summary=f"{node.plan.name} (sub-workflow of {child_id.rsplit('/', 1)[0]})",
        parent_close_policy=ParentClosePolicy.TERMINATE,
    )
    ctx.charge(owner, result.state.usage, result.state.cost_usd)
    merge_agents(ctx.state.agents, result.state.agents)
    spend(ledgers(ctx, scope), result.state.usage, result.state.cost_usd)
    ctx.state.flags.extend(f"{node.id} › {flag}" for flag in result.state.flags)
    return result.output
