"""What every step of a run shares: its state and how spend is charged to it, the saga
of completed steps to undo, and the run's line to people (webhooks, the open budget
request). Typed, and at the bottom of the workflow import graph: executors, the
interpreter and Python-API workflows build on it; it imports no executor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from podium.activities.contracts import AgentResult, Usage
from podium.workflows.events import RunEvents
from podium.workflows.frame import Frame
from podium.workflows.state import AgentTotals, RunState, StepState, merge_agents


class SagaEntry(NamedTuple):
    """A completed step with a compensation: undone in reverse order if the run fails."""

    node: Any
    """The completed step (its ``compensate`` is the undo), or a ``ToolUndo`` (a tool call
    and the tool that undoes it)."""
    frame: Frame
    """The steps as they were when it finished (a loop or a later map item may change them)."""
    key: str
    """The undo's idempotency key (one per completed step; map items each get their own)."""


class HandOver(Exception):
    """Raised by a long-running step (``supervise``) between two of its turns when the
    run should continue as new: the step stays pending, its progress in its record, and
    the next run resumes it."""


@dataclass
class People:
    """The run's line to people: webhooks, the search attributes listing open requests,
    and the one open "budget exceeded" request that calls hitting the limit together share."""

    notify_urls: list[str] = field(default_factory=list)
    on_changed: Callable[[], None] | None = None
    """Called when a request opens, escalates or closes (refreshes search attributes)."""
    background: list[Any] = field(default_factory=list)
    """Fire-and-forget activities (notifications) kept referenced."""
    budget_request: Any = None
    budget_escalate_to: list[str] = field(default_factory=list)

    def changed(self) -> None:
        """Human requests opened, escalated or closed."""
        if self.on_changed is not None:
            self.on_changed()


@dataclass
class RunContext:
    """What executors share: the run state (and how to charge spend to it), the saga and
    the line to people."""

    state: RunState
    people: People = field(default_factory=People)
    saga: list[SagaEntry] = field(default_factory=list)
    finished: int = 0
    """Count of tracked steps finished so far (the scheduler waits on it)."""
    payload_store: bool | None = None
    """Whether the run's client stores large payloads (``RunInput.payload_store``)."""
    gates: dict[str, Any] = field(default_factory=dict)
    """Step id → ``gates.Gate``: the approvals that must have said yes before that step
    (one with side effects, under ``policy: approve_side_effects``) may run."""
    hand_over: Callable[[str], bool] = lambda step_id: False
    """Whether top-level step ``step_id`` should stop between its turns and let the run
    continue as new (set by the interpreter; never for nested steps)."""
    events: RunEvents = field(default_factory=RunEvents)
    """The run's event stream (``workflows/events.py``)."""
    spend: Any = None
    """The run's spend windows (``steps.spend_desk.SpendDesk``; typed loosely, as the desk
    builds on this module), or None when the run spends under none."""

    def __post_init__(self) -> None:
        self._records = {step.id: step for step in self.state.steps}

    def find(self, step_id: str) -> StepState | None:
        """The tracked record of ``step_id`` (None for untracked template steps)."""
        return self._records.get(step_id)

    def charge(self, owner: StepState | None, usage: Usage, cost_usd: float) -> None:
        """Add spend to the run's totals and to the tracked step that owns the call."""
        for target in (self.state, owner):
            if target is None:
                continue
            target.usage = target.usage + usage
            target.cost_usd = round(target.cost_usd + cost_usd, 8)
        self.events.publish(
            "cost",
            step=owner.id if owner is not None else None,
            cost_usd=self.state.cost_usd,
            tokens=self.state.usage.total_tokens,
        )

    def charge_result(
        self, owner: StepState | None, result: AgentResult, agent: str, *, charged: bool = False
    ) -> None:
        """Count one answered agent call and charge it (to the run, the owning step and the
        agent's totals); ``charged``: its spend was charged turn by turn (a tool loop)."""
        one = AgentTotals(calls=1, latencies_ms=[result.latency_ms])
        merge_agents(self.state.agents, {agent: one})
        if not charged:
            self.charge_agent(owner, agent, result.usage, result.cost_usd)

    def charge_agent(
        self, owner: StepState | None, agent: str, usage: Usage, cost_usd: float
    ) -> None:
        """Charge spend (a model turn, a tool's price) to the run, the owning step and the
        agent's totals, without counting a call."""
        self.charge(owner, usage, cost_usd)
        one = AgentTotals(
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, cost_usd=cost_usd
        )
        merge_agents(self.state.agents, {agent: one})

    def note_failure(
        self, agent: str, error_type: str, billed: Usage | None = None, cost_usd: float = 0.0
    ) -> None:
        """Count a call that failed for good against its agent (with what it was billed,
        e.g. for an answer that failed its schema)."""
        one = AgentTotals(failed=1, errors={error_type: 1}, cost_usd=cost_usd)
        if billed is not None:
            one.input_tokens, one.output_tokens = billed.input_tokens, billed.output_tokens
        merge_agents(self.state.agents, {agent: one})
