"""What a run shows outside its history: the search attributes a visibility query filters
on (``PodiumStatus``, ``PodiumNeedsHuman``, ``PodiumWaitingOn``, ``PodiumCostUsd``) and the
current details the Web UI shows (what runs or waits for whom, steps finished, spend, the
exact call an approver is asked about). ``PodiumRun`` keeps one ``RunDisplay``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from podium.workflows import search_attributes as sa
from podium.workflows.plan import Plan
from podium.workflows.run_context import RunContext
from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

COST_SHOWN_PATCH = "podium-cost-shown-every-10s"
"""Patch: a running run's PodiumCostUsd is upserted at most every ``COST_SHOW_S`` (and
when it starts or stops waiting for people, and at the end), not after every call: each
upsert is a visibility write on the server, which a peak pays for every run."""
COST_SHOW_S = 10.0


class RunDisplay:
    """Keeps a run's search attributes and current details in step with its state, writing
    only what a reader would see change."""

    def __init__(self, plan: Plan, ctx: RunContext) -> None:
        self.plan = plan
        self.ctx = ctx
        self.state = ctx.state
        self._humans_shown: tuple[bool, tuple[str, ...]] = (False, ())
        self._cost_shown = 0.0
        self._cost_shown_at: datetime | None = None
        self._details = ""

    def sync_humans(self) -> None:
        """Keep PodiumNeedsHuman / PodiumWaitingOn / PodiumStatus and the details current."""
        waiting = self.state.open_requests()
        # lower-cased: approvers are matched case-insensitively, visibility queries are not
        who = tuple(sorted({a.lower() for r in waiting for a in (r.approvers or ["anyone"])}))
        shown = (bool(waiting), who)
        if shown != self._humans_shown:
            self._humans_shown = shown
            if self.state.finished_at is None:  # a closed run keeps its final status
                self.state.status = "waiting" if waiting else "running"
            updates: list[SearchAttributeUpdate[Any]] = [
                sa.NEEDS_HUMAN.value_set(bool(waiting)),
                sa.WAITING_ON.value_set(list(who)) if who else sa.WAITING_ON.value_unset(),
                sa.STATUS.value_set(self.state.status),
            ]
            if self.state.cost_usd != self._cost_shown and workflow.patched(COST_SHOWN_PATCH):
                updates.append(sa.COST_USD.value_set(self.state.cost_usd))  # (may wait long)
                self._cost_shown, self._cost_shown_at = self.state.cost_usd, workflow.now()
            workflow.upsert_search_attributes(updates)
        self.show()

    def closed(self, status: str) -> None:
        """The run's final status, cost and no one waited on (the details: ``show``)."""
        workflow.upsert_search_attributes(
            [
                sa.STATUS.value_set(status),
                sa.COST_USD.value_set(self.state.cost_usd),
                sa.NEEDS_HUMAN.value_set(False),
            ]
        )

    def show(self, headline: str | None = None) -> None:
        """Set the Web UI's current details (and the spend so far, when due)."""
        state = self.state
        waiting = state.open_requests()
        if headline is None and waiting:
            headline = "waiting for " + "; ".join(
                f"**{r.id}** ({r.title}) from {', '.join(r.approvers) or 'anyone'}"
                + (f", deadline {r.deadline:%Y-%m-%d %H:%M} UTC" if r.deadline else "")
                for r in waiting
            )
        now = headline or (
            "running " + ", ".join(f"**{s}**" for s in state.current)
            if state.current
            else "waiting"
        )
        details = (
            f"**{self.plan.name}** — {now}\n\nsteps finished: {self.ctx.finished}/"
            f"{len(state.steps)} · tokens: {state.usage.total_tokens} · "
            f"cost: ${state.cost_usd:.4f}"
        )
        for request in waiting:  # approvers see the exact call they are asked about
            if request.tool_call is not None:
                details += "\n\n" + request.call_markdown()
            if request.unlocks:  # … or the side effects a yes lets run
                details += f"\n\napproving **{request.id}** lets run: " + ", ".join(request.unlocks)
        if state.cost_usd != self._cost_shown and self._cost_due():  # spend so far, for
            self._cost_shown = state.cost_usd  # the Web UI's and the CLI's filters
            workflow.upsert_search_attributes([sa.COST_USD.value_set(state.cost_usd)])
        if details != self._details:  # only when something a reader sees changed
            self._details = details
            workflow.set_current_details(details)

    def _cost_due(self) -> bool:
        """Whether a changed cost is upserted now: at once in runs started before the
        patch, else at most every ``COST_SHOW_S`` (the end upserts the final cost)."""
        if not workflow.patched(COST_SHOWN_PATCH):
            return True
        now = workflow.now()
        if self._cost_shown_at and (now - self._cost_shown_at).total_seconds() < COST_SHOW_S:
            return False
        self._cost_shown_at = now
        return True


def priority_text(priority: Any) -> str | None:
    """``priority 1, fairness TH × 2`` (None when the run has the default Priority)."""
    if priority is None:
        return None
    parts = []
    if priority.priority_key:
        parts.append(f"priority {priority.priority_key}")
    if priority.fairness_key:
        weight = f" × {priority.fairness_weight:g}" if priority.fairness_weight else ""
        parts.append(f"fairness {priority.fairness_key}{weight}")
    return ", ".join(parts) or None
