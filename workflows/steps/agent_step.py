"""Executor of agent steps."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.plan import AgentNode
    from workflows.state import StepState

from workflows.steps.agent_call import call_agent
from workflows.steps.execute import Ctx, evaluate_inputs, executor


@executor("agent")
async def run_agent_node(
    node: AgentNode, scope: dict[str, Any], ctx: Ctx, owner: StepState | None
) -> Any:
    """Evaluate the inputs, call the agent once (Temporal retries), charge the spend."""
    inputs = evaluate_inputs(node.id, node.inputs, scope)
    inputs.update(scope.get("_overrides", {}).get(node.id, {}))  # a person's edited inputs
    label = f"{node.agent.name} · {scope.get('_label') or node.id}"
    # A failure propagates as ActivityError; ``execute`` records and names it.
    result = await call_agent(
        node.agent, inputs, step_id=node.id, timeout_s=node.timeout_s, retry=node.retry, label=label
    )
    ctx.charge_result(owner, result)
    if owner is not None and owner.id == node.id:
        owner.attempts = result.attempt
        owner.model = result.model
        owner.offline = result.offline
    return result.output
