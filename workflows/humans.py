"""Human requests (approvals, hand-over of failed steps) and how decisions are checked.

One ``check_decision`` serves both channels: the Update's validator (refuses before
anything is written to history) and the Signal handler (records a refused signal in
the run state instead of failing the run).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.validation import schema_errors
from pydantic import Field

RequestKind = Literal["approval", "failure", "budget", "deadline", "question"]
Outcome = Literal["approve", "reject", "retry", "supply", "skip", "abort", "raise", "continue"]
OUTCOMES: dict[str, tuple[str, ...]] = {
    "approval": ("approve", "reject"),
    "failure": ("retry", "supply", "skip", "abort"),
    "budget": ("raise", "continue", "abort"),
    "deadline": ("continue", "skip", "abort"),
    "question": ("supply", "approve", "reject"),
}


RUN_SCOPE = "run"
"""The ``step`` of requests about the whole run (its deadline): ids ``run-<n>``."""


class BudgetRaise(Contract):
    """New limits of a run budget (``podium resolve --raise-usd/--raise-tokens``)."""

    usd: float | None = Field(None, gt=0)
    tokens: int | None = Field(None, gt=0)


class DecisionInput(Contract):
    """A person's decision, as sent by ``podium approve/resolve``, the Temporal CLI or UI."""

    request_id: str
    outcome: Outcome
    by: str = Field(min_length=1)
    comment: str = ""
    output: Any = None
    """With ``supply``: the step's output, checked against its output schema."""
    inputs: dict[str, Any] | None = None
    """With ``retry``: inputs that replace the step's evaluated inputs."""
    budget: BudgetRaise | None = None
    """With ``raise``: the run budget's new limits."""


class DecisionRecord(Contract):
    """A decision as recorded (and returned to the CLI)."""

    request_id: str
    outcome: str
    by: str
    at: datetime
    comment: str = ""
    channel: Literal["update", "signal", "timeout"] = "update"
    level: int = 0
    output: Any = None
    inputs: dict[str, Any] | None = None
    budget: BudgetRaise | None = None


class RejectedAttempt(Contract):
    """A decision that was refused, and why (audit trail)."""

    at: datetime
    by: str
    outcome: str
    channel: Literal["update", "signal"]
    reason: str


class AskedToolCall(Contract):
    """The exact tool call a person is asked to approve, as the agent's model made it."""

    agent: str
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None
    """What the model said beside the call (its text), if it said anything."""
    turn: int | None = None
    """The tool loop's turn that made the call."""


class ChainLevel(Contract):
    """One level of a request's escalation chain: who decides, for how long."""

    approvers: list[str] = Field(default_factory=list)
    """Empty: anyone."""
    wait_s: float | None = None
    """How long this level has before the next one (or the default decision); None: no limit."""


class HumanRequest(Contract):
    """Something a person must decide; ids are ``<step id>-<n>`` (n = 1, 2, … per step)."""

    id: str
    kind: RequestKind
    step: str
    title: str
    details: Any = None
    approvers: list[str] = Field(default_factory=list)
    """Who may decide now (empty: anyone). Changes as the request escalates."""
    level: int = 0
    opened_at: datetime
    deadline: datetime | None = None
    status: Literal["open", "decided", "timed_out", "cancelled"] = "open"
    decision: DecisionRecord | None = None
    failure: str | None = None
    """For a failed step: the error that caused the request."""
    output_schema: dict[str, Any] | None = None
    history: list[str] = Field(default_factory=list)
    """Opened / escalated events, for the audit trail."""
    tool_call: AskedToolCall | None = None
    """For approving an agent's tool call: the call (``details`` holds its arguments too)."""
    chain: list[ChainLevel] = Field(default_factory=list)
    """Every level of the escalation chain, ``level`` being the current one (empty in
    requests opened before it was recorded)."""
    on_timeout: str | None = None
    """What happens when the last level's time runs out without a decision: ``approve``,
    ``reject`` or ``fail`` (None: that level has no time limit, or not recorded)."""
    unlocks: list[str] = Field(default_factory=list)
    """For an approval under ``policy: approve_side_effects``: the steps with side effects
    that run only if it says yes (``"<step> (agent <name>)"``)."""

    def asks(self, limit: int = 200) -> str:
        """What the request asks, in one line of at most ``limit`` characters: the tool
        call (``send_quote {"customer": …}``), else the title."""
        if self.tool_call is None:
            text = self.title
        else:
            arguments = json.dumps(self.tool_call.arguments, ensure_ascii=False, default=str)
            text = f"{self.tool_call.tool} {arguments}"
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def call_markdown(self, limit: int = 1500) -> str:
        """The tool call as the Web UI's current details show it: who asks, the arguments
        as JSON (cut at ``limit`` characters) and the model's reason ("" without a call)."""
        call = self.tool_call
        if call is None:
            return ""
        arguments = json.dumps(call.arguments, ensure_ascii=False, indent=2, default=str)
        if len(arguments) > limit:
            arguments = arguments[:limit] + f"\n… ({len(arguments) - limit} more characters)"
        fence = "```"
        while fence in arguments:
            fence += "`"
        text = f"**{self.id}**: {call.agent} asks to call `{call.tool}` with\n{fence}json\n"
        text += f"{arguments}\n{fence}"
        if call.reason:
            text += "\n\nits reason: " + call.reason[:limit].replace("\n", " ")
        return text


def check_decision(requests: list[HumanRequest], decision: DecisionInput) -> str | None:
    """Why ``decision`` must be refused, or None if it may be applied."""
    request = next((r for r in requests if r.id == decision.request_id), None)
    if request is None:
        open_ids = ", ".join(r.id for r in requests if r.status == "open") or "none"
        return f"unknown request {decision.request_id!r}; open requests: {open_ids}"
    if request.status != "open":
        done = request.decision
        who = f" ({done.outcome} by {done.by} at {done.at:%Y-%m-%d %H:%M} UTC)" if done else ""
        return f"request {request.id!r} is already closed{who}"
    allowed = OUTCOMES[request.kind]
    if decision.outcome not in allowed:
        return (
            f"{decision.outcome!r} is not a decision for a {request.kind} request; "
            f"use one of: {', '.join(allowed)}"
        )
    if request.approvers and decision.by.lower() not in {a.lower() for a in request.approvers}:
        return (
            f"{decision.by!r} may not decide {request.id!r}; it waits on "
            f"{', '.join(request.approvers)}"
        )
    if decision.outcome == "skip" and request.kind == "deadline" and request.step == RUN_SCOPE:
        return "a run past its deadline cannot be skipped; use continue or abort"
    if decision.outcome == "raise":
        return _check_raise(request, decision.budget)
    if decision.outcome == "supply" and request.output_schema is not None:
        errors = schema_errors(decision.output, request.output_schema)
        if errors:
            return "the supplied output does not match the step's output schema: " + "; ".join(
                errors[:5]
            )
    return None


def _check_raise(request: HumanRequest, raised: BudgetRaise | None) -> str | None:
    if raised is None or (raised.usd is None and raised.tokens is None):
        return "raise needs the new limit: budget.usd and/or budget.tokens"
    needed = request.details if isinstance(request.details, dict) else {}
    for measure, unit in (("usd", "$"), ("tokens", "")):
        new = getattr(raised, measure)
        least = needed.get(f"needed_{measure}")
        if new is not None and least is not None and new < least:
            return (
                f"the new {measure} limit {unit}{new} is below what the waiting call needs "
                f"({unit}{least}: spent + reserved + its estimate)"
            )
    return None


def apply_decision(
    request: HumanRequest,
    decision: DecisionInput,
    channel: Literal["update", "signal"],
    now: datetime,
) -> DecisionRecord:
    """Close ``request`` with ``decision`` (already checked) and return the record."""
    record = DecisionRecord(
        request_id=request.id,
        outcome=decision.outcome,
        by=decision.by,
        at=now,
        comment=decision.comment,
        channel=channel,
        level=request.level,
        output=decision.output,
        inputs=decision.inputs,
        budget=decision.budget,
    )
    request.decision = record
    request.status = "decided"
    request.history.append(
        f"{now:%Y-%m-%dT%H:%M:%SZ} {decision.outcome} by {decision.by} ({channel})"
    )
    return record
