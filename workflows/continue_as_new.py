"""When a long run continues as new, and how it hands over (``RunCarry``, what the next
run starts from, is in ``workflows/run_input.py``; docs/long-runs.md tells users).

``PodiumRun`` asks ``HistoryWatch.full`` before it starts more steps; once it says yes,
the run starts nothing new, lets the running steps finish, then ``continue_as_new``
carries its state into a fresh run under the same workflow id.
"""

from __future__ import annotations

import asyncio

from podium.workflows.events import RunStream
from podium.workflows.frame import Frame
from podium.workflows.plan import HistoryLimits, RunCarry, RunInput
from podium.workflows.run_context import RunContext
from podium.workflows.steps.support import ensure_fits
from temporalio import workflow

CONTINUE_AS_NEW_PATCH = "podium-continue-as-new"


class ContinueAsNew(Exception):
    """Raised out of the step scheduler once the run should continue as new."""


class HistoryWatch:
    """Whether a run's history is past its plan's limits (once it is, it stays so)."""

    def __init__(self, limits: HistoryLimits) -> None:
        self.limits = limits
        self.continuing = False
        """Past the history limits: start no more steps, then continue as new."""

    def full(self) -> bool:
        """Whether to continue as new before starting more steps: the server suggests it,
        or the history is past the plan's limits. Runs that started before this existed
        never do (``workflow.patched``), so their histories replay unchanged."""
        if self.continuing:
            return True
        info = workflow.info()
        limits = self.limits
        if (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= limits.max_events
            or info.get_current_history_size() >= limits.max_bytes
        ) and workflow.patched(CONTINUE_AS_NEW_PATCH):
            self.continuing = True
        return self.continuing


async def continue_as_new(run: RunInput, frame: Frame, ctx: RunContext, stream: RunStream) -> None:
    """Hand the run over to a fresh run of the same workflow id (never returns)."""
    info = workflow.info()
    state = ctx.state
    state.continued += 1
    state.current = []
    state.flags.append(
        f"continued as new ({state.continued}) after "
        f"{info.get_current_history_length():,} events, "
        f"{info.get_current_history_size() / 1024 / 1024:.1f} MB of history"
    )
    ctx.events.publish("run.continued", text=state.flags[-1])
    stream.detach_pollers()  # (subscribers follow the chain to the next run)
    await workflow.wait_condition(workflow.all_handlers_finished)
    if ctx.people.background:  # webhook notifications still being sent
        await asyncio.gather(*ctx.people.background, return_exceptions=True)
    carry = RunCarry.of(ctx, frame)
    carry.events = stream.carried()
    following = RunInput(
        plan=run.plan,
        input=run.input,
        carry=carry,
        payload_store=run.payload_store,
        follow=run.follow,
        spend=run.spend,
    )
    ensure_fits(following, None, "what the run carries into its next run (continue-as-new)")
    workflow.continue_as_new(following, search_attributes=info.typed_search_attributes)
