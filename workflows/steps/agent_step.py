"""Executor of an agent step of a plan: evaluate inputs, call, record in the run state."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.expressions import evaluate
    from workflows.plan import PlanStep
    from workflows.state import RunState

from workflows.steps.agent_call import call_agent


def step_inputs(step: PlanStep, scope: dict[str, Any]) -> dict[str, Any]:
    """Evaluate the step's ``with`` expressions; a runtime error fails the step clearly."""
    values: dict[str, Any] = {}
    for name, expr in step.inputs.items():
        try:
            values[name] = evaluate(expr, scope)
        except Exception as exc:  # JMESPath runtime errors (e.g. wrong argument type)
            raise ApplicationError(
                f"step {step.id!r}: input {name!r} = {expr!r} could not be evaluated: {exc}",
                type="ExpressionFailed",
                non_retryable=True,
            ) from None
    return values


async def run_agent_step(step: PlanStep, scope: dict[str, Any], state: RunState) -> Any:
    """Run one agent step; update ``state`` and ``scope``; return the step's output."""
    record = state.step(step.id)
    record.status = "running"
    record.started_at = workflow.now()
    state.current = step.id
    try:
        inputs = step_inputs(step, scope)
        result = await call_agent(
            step.agent, inputs, step_id=step.id, timeout_s=step.timeout_s, retry=step.retry
        )
    except (ActivityError, ApplicationError) as exc:
        cause = exc.cause if isinstance(exc, ActivityError) else exc
        error_type = getattr(cause, "type", None) or type(cause).__name__
        message = getattr(cause, "message", None) or str(cause)
        details = getattr(cause, "details", None) or ()
        attempt = details[0].get("attempt") if details and isinstance(details[0], dict) else None
        record.status = "failed"
        record.error_type = error_type
        record.error = message
        record.attempts = attempt or max(record.attempts, 1)
        _finish(record)
        raise ApplicationError(
            f"step {step.id!r} (agent {step.agent.name!r}) failed: {error_type}: {message}",
            {"step": step.id, "error_type": error_type},
            type="StepFailed",
            non_retryable=True,
        ) from None
    record.status = "completed"
    record.output = result.output
    record.attempts = result.attempt
    record.usage = result.usage
    record.cost_usd = result.cost_usd
    record.model = result.model
    record.offline = result.offline
    _finish(record)
    state.usage.input_tokens += result.usage.input_tokens
    state.usage.output_tokens += result.usage.output_tokens
    state.cost_usd = round(state.cost_usd + result.cost_usd, 8)
    scope["steps"][step.id] = {"output": result.output, "status": "completed"}
    return result.output


def _finish(record: Any) -> None:
    record.finished_at = workflow.now()
    if record.started_at is not None:
        record.duration_ms = (record.finished_at - record.started_at).total_seconds() * 1000
