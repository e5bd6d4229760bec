"""Deadlines (SLAs) of steps and runs: a durable timer raced against the work.

On breach: ``fail`` cancels the work and fails (the step, or the whole run);
``notify`` tells the webhooks, flags it and keeps waiting; ``escalate`` asks a
person — keep waiting (``continue``), ``skip`` the step, or ``abort`` the run — while
the work goes on (if it finishes first, the request is withdrawn).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from podium.activities.errors import DeadlineExceeded, RunAborted, StepDeadlineExceeded
from podium.workflows.durations import format_duration
from podium.workflows.humans import RUN_SCOPE
from podium.workflows.kinds.base import Deadline
from podium.workflows.run_context import RunContext
from podium.workflows.state import StepState
from podium.workflows.steps.human_desk import open_request, send_event, wait_for_decision
from podium.workflows.steps.support import failure
from temporalio import workflow


async def within_deadline(
    deadline: Deadline,
    due: datetime,
    work: Awaitable[Any],
    ctx: RunContext,
    where: str,
    record: StepState | None,
) -> tuple[str, Any]:
    """Run ``work`` against ``due``; ``("done", output)`` or ``("skipped", None)``."""
    task = asyncio.ensure_future(work)
    try:
        left = (due - workflow.now()).total_seconds()
        if left > 0:
            try:
                await workflow.wait_condition(
                    task.done,
                    timeout=timedelta(seconds=left),
                    timeout_summary=f"deadline of {_what(where)}",
                )
            except TimeoutError:
                pass
        if task.done():
            return "done", task.result()
        return await _breached(deadline, task, ctx, where, record)
    finally:
        if not task.done():  # we were cancelled (lost race, failing run): stop the work too
            task.cancel()


async def _breached(
    deadline: Deadline,
    task: asyncio.Future[Any],
    ctx: RunContext,
    where: str,
    record: StepState | None,
) -> tuple[str, Any]:
    what = _what(where)
    limit = format_duration(deadline.after_s)
    if record is not None:
        record.breached = True
    else:
        ctx.state.breached = where == RUN_SCOPE or ctx.state.breached
    ctx.state.flags.append(f"{what} missed its deadline ({limit}); on_breach: {deadline.on_breach}")
    if deadline.on_breach == "fail":
        await _stop(task)
        fatal = where == RUN_SCOPE
        raise failure(
            f"{what} missed its deadline of {limit}",
            DeadlineExceeded if fatal else StepDeadlineExceeded,
            step=where,
        )
    if deadline.on_breach == "notify":
        send_event(
            ctx,
            "deadline.breached",
            {"step": where, "deadline": limit, "on_breach": "notify"},
            where,
        )
        await workflow.wait_condition(task.done)
        return "done", task.result()
    request = open_request(
        ctx,
        "deadline",
        where,
        title=f"{what[0].upper()}{what[1:]} missed its deadline ({limit})",
        details={"deadline": limit, "still_running": True},
    )
    waiter = asyncio.ensure_future(wait_for_decision(ctx, request, [(deadline.escalate_to, None)]))
    try:
        await workflow.wait_condition(lambda: task.done() or waiter.done())
    finally:
        if not waiter.done():  # the work ended first, or we are cancelled: withdraw it
            waiter.cancel()
            await workflow.wait_condition(waiter.done)
            request.history.append(
                f"{workflow.now():%Y-%m-%dT%H:%M:%SZ} withdrawn: {what} ended before a decision"
            )
    if not waiter.done() or waiter.cancelled():
        return "done", task.result()
    decision = waiter.result()
    assert decision is not None  # no time limit on the person: only a decision ends it
    who = f"{decision.by} ({decision.channel})"
    if decision.outcome == "continue":
        ctx.state.flags.append(f"{what}: {who} chose to keep waiting past the deadline")
        await workflow.wait_condition(task.done)
        return "done", task.result()
    await _stop(task)
    if decision.outcome == "skip":
        ctx.state.flags.append(f"{what} skipped by {who} after missing its deadline; output null")
        return "skipped", None
    reason = f": {decision.comment}" if decision.comment else ""
    raise failure(
        f"run aborted by {decision.by}: {what} missed its deadline of {limit}{reason}",
        RunAborted,
        step=where,
    )


async def _stop(task: asyncio.Future[Any]) -> None:
    """Cancel the work and wait until it has wound down (activities told, requests closed)."""
    task.cancel()
    await workflow.wait_condition(task.done)


def _what(where: str) -> str:
    return "the run" if where == RUN_SCOPE else f"step {where!r}"
