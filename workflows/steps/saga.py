"""Compensation (saga): undo completed side-effecting steps in reverse order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from podium.activities.errors import ToolNotConfigured
from podium.activities.retry_settings import RetrySettings
from podium.activities.tool_contracts import ToolSpec, ToolUndo
from podium.workflows.frame import Frame
from podium.workflows.run_context import RunContext, SagaEntry
from podium.workflows.state import CompensationRecord
from podium.workflows.steps.agent_call import call_agent
from podium.workflows.steps.budget import ledgers, spend
from podium.workflows.steps.support import describe, evaluate_inputs
from podium.workflows.steps.tool_call import call_tool
from podium.workflows.steps.undo_arguments import undo_arguments
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

UNTIL_DONE = RetrySettings(
    max_attempts=0, initial_interval_s=1.0, backoff=2.0, max_interval_s=60.0, max_elapsed_s=None
)
"""Compensations retry transient failures until they succeed."""


async def compensate(ctx: RunContext) -> None:
    """Run every recorded compensation, newest first; a failed one does not stop the others.

    Each undo call carries its own idempotency key ``<run id>/<undo step id>/<8 hex>``,
    the same for every retry of that undo (map items each get their own).
    """
    while ctx.saga:
        node, frame, key = ctx.saga.pop()
        if isinstance(node, ToolUndo):
            await _undo_tool_call(ctx, node, key)
            continue
        undo = node.compensate
        try:
            inputs = evaluate_inputs(undo.id, undo.inputs, frame.data)
            result = await call_agent(
                undo.agent,
                inputs,
                step_id=undo.id,
                retry=UNTIL_DONE,
                timeout_s=undo.timeout_s,
                label=f"{undo.agent.name} · undo {node.id}",
                idempotency_key=key,
                spend=ctx.spend,
                undo=True,  # counted in the run's spend windows, never refused
            )
        except (ActivityError, Exception) as exc:  # record and go on with the others
            error_type, message = describe(exc)
            ctx.state.compensations.append(
                CompensationRecord(
                    step=node.id,
                    agent=undo.agent.name,
                    status="failed",
                    error=f"{error_type}: {message}",
                )
            )
            continue
        ctx.charge_result(None, result, undo.agent.name)
        spend(
            ledgers(ctx, Frame.of_run({})), result.usage, result.cost_usd
        )  # undo runs whatever the budget
        ctx.state.compensations.append(
            CompensationRecord(
                step=node.id, agent=undo.agent.name, status="completed", output=result.output
            )
        )


def undo_tool_call_later(
    ctx: RunContext,
    tool: ToolSpec,
    arguments: dict[str, Any],
    key: str,
    step: str,
    agent: str,
    result: Any = None,
) -> None:
    """Put the undo of a tool call that did (or may have done) its work on the saga, if
    the tool has ``compensate:``: called with the same arguments (or what its ``with:``
    makes of them and the call's ``result``, None when unknown) and the key
    ``<call's key>/undo`` when the run fails or is cancelled later. The compensating tool
    finds what to undo by that key (the call's own key, less ``/undo``), so undoing a
    call that never happened does nothing."""
    if tool.compensate is None:
        return
    formed, error = undo_arguments(tool, arguments, result)
    undo = ToolUndo(
        step=step,
        agent=agent,
        tool=tool.compensate,
        undoes=tool.name,
        arguments=formed,
        error=error,
    )
    ctx.saga.append(SagaEntry(undo, Frame.of_run({}), f"{key}/undo"))


async def _undo_tool_call(ctx: RunContext, undo: ToolUndo, key: str) -> None:
    """Call the compensating tool with the arguments formed for it (retried until the
    tool answers; an answer that is an error is recorded as a failed undo)."""
    who = f"tool:{undo.tool.name}"
    if undo.error is not None:  # its arguments could not be formed: not called
        ctx.state.compensations.append(
            CompensationRecord(step=undo.step, agent=who, status="failed", error=undo.error)
        )
        return
    try:
        outcome = await call_tool(
            undo.tool,
            undo.arguments,
            key=key,
            step_id=undo.step,
            summary=f"{undo.agent} · undo {undo.undoes}",
            retry=RetryPolicy(  # until the tool answers
                maximum_interval=timedelta(seconds=60),
                non_retryable_error_types=[ToolNotConfigured.__name__],
            ),
        )
    except ActivityError as exc:
        error_type, message = describe(exc)
        record = CompensationRecord(
            step=undo.step, agent=who, status="failed", error=f"{error_type}: {message}"
        )
    else:
        record = (
            CompensationRecord(step=undo.step, agent=who, status="failed", error=outcome.error)
            if outcome.error is not None
            else CompensationRecord(
                step=undo.step, agent=who, status="completed", output=outcome.content
            )
        )
    ctx.state.compensations.append(record)
