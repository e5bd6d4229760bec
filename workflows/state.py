"""A run's state: what each step did, and the totals. Returned by the ``status`` query."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.contracts import Usage
from podium.workflows.humans import HumanRequest, RejectedAttempt
from pydantic import Field

StepStatus = Literal["pending", "running", "completed", "failed", "skipped", "cancelled"]
RunStatus = Literal["running", "waiting", "completed", "failed", "cancelled"]


class Progress(Contract):
    """Items of a map (or branches of a parallel) done so far."""

    total: int = 0
    done: int = 0
    failed: int = 0


class RoundRecord(Contract):
    """One producer → reviewer round of a refine step."""

    round: int
    draft: Any = None
    review: Any = None
    accepted: bool = False


class TryRecord(Contract):
    """One agent tried for a step (primary, repair round or fallback) and how it went."""

    agent: str
    outcome: Literal["ok", "failed"]
    error: str | None = None
    next: str | None = None
    """What Podium did next and why (repair, fallback, give up)."""
    attempts: int = 1
    """Provider attempts this try took (retries of transient failures)."""
    errors: list[str] = Field(default_factory=list)
    """``Type: message`` of every failed attempt, in order (the last is ``error``)."""

    def text(self) -> str:
        """One line: ``legal-analyst 3× ProviderRateLimited → fall back to legal-backup``."""
        failed = ", ".join(f"{n}× {t}" if n > 1 else t for t, n in _runs(self.errors))
        if self.outcome == "ok":
            return f"{self.agent} ok" + (f" after {failed}" if failed else "")
        if not failed and self.error:
            failed = self.error.split(":", 1)[0]
        return f"{self.agent} {failed or 'failed'}" + (f" → {self.next}" if self.next else "")


def tools_text(turns: int, calls: list[ToolCallRecord]) -> str:
    """A step's tool loop on one line: ``3 turns — turn 1: fx_rate ok, vat ok; turn 2:
    send_quote ok (approved by deal-desk)``."""
    by_turn: dict[int, list[str]] = {}
    for call in calls:
        text = f"{call.tool} {call.status}"
        if call.approved_by:
            text += f" (approved by {call.approved_by})"
        by_turn.setdefault(call.turn, []).append(text)
    parts = [f"turn {turn}: {', '.join(texts)}" for turn, texts in sorted(by_turn.items())]
    return f"{turns} turn{'s' if turns != 1 else ''} — " + "; ".join(parts)


def supervision_text(turns: list[SuperviseTurn]) -> str:
    """A supervise step's decisions on one line: ``4 turns — 1 vietnam ok, 2 thailand
    failed, 3 deal-desk ok, 4 done``."""
    count = len(turns)
    return f"{count} turn{'s' if count != 1 else ''} — " + ", ".join(t.text() for t in turns)


def turn_costs_text(turns: list[TurnRecord]) -> str:
    """What each model turn of a tool loop cost: ``turn 1 $0.0021 (812 in, 40 out) + tools
    $0.0100; turn 2 …``."""
    parts = []
    for t in turns:
        text = f"turn {t.turn} ${t.cost_usd:.4f} ({t.input_tokens} in, {t.output_tokens} out)"
        if t.tools_usd:
            text += f" + tools ${t.tools_usd:.4f}"
        parts.append(text)
    return "; ".join(parts)


def tries_text(tried: list[TryRecord]) -> str:
    """The whole story of a step's tries on one line (status, report, Web UI)."""
    return "; ".join(t.text() for t in tried)


def _runs(errors: list[str]) -> list[tuple[str, int]]:
    """Consecutive failures of the same type, counted: [(type, count), …]."""
    runs: list[tuple[str, int]] = []
    for error in errors:
        kind = error.split(":", 1)[0]
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + 1)
        else:
            runs.append((kind, 1))
    return runs


class BudgetState(Contract):
    """A ledger: the limit, what was spent (settled) and what in-flight calls reserved."""

    usd: float | None = None
    tokens: int | None = None
    on_exceed: Literal["fail", "escalate"] = "fail"
    spent_usd: float = 0.0
    spent_tokens: int = 0
    reserved_usd: float = 0.0
    reserved_tokens: int = 0
    calls: int = 0
    """Calls settled against this ledger."""
    in_flight: int = 0
    """Reservations not yet settled (calls in flight, child runs)."""
    exhausted: str | None = None
    """Why no new call may start (set when a ``fail`` budget ran out)."""
    history: list[str] = Field(default_factory=list)
    """Raises and go-aheads decided by people."""

    def shortfall(self, usd: float, tokens: int, *, counting_reserved: bool = True) -> str | None:
        """Why a call estimated at ``usd``/``tokens`` does not fit, or None if it does."""
        if self.exhausted:
            return self.exhausted
        held_usd = self.reserved_usd if counting_reserved else 0.0
        held_tokens = self.reserved_tokens if counting_reserved else 0
        if self.usd is not None and self.spent_usd + held_usd + usd > self.usd + 1e-12:
            return (
                f"${self.spent_usd:.6f} spent + ${held_usd:.6f} reserved + "
                f"${usd:.6f} estimated for this call > budget ${self.usd:.6f}"
            )
        if self.tokens is not None and self.spent_tokens + held_tokens + tokens > self.tokens:
            return (
                f"{self.spent_tokens} tokens spent + {held_tokens} reserved + {tokens} "
                f"estimated for this call > budget {self.tokens} tokens"
            )
        return None


class ToolCallRecord(Contract):
    """One tool call of an agent step's tool loop."""

    turn: int
    call: int
    """Index of the call within its turn (calls of one turn run concurrently)."""
    tool: str
    status: Literal["running", "ok", "error", "unknown", "refused", "waiting"] = "running"
    """``error``: the tool failed and the model was told; ``unknown``: a side effect that
    may have happened (its call was cut off and never answered; the model was told, and
    its ``compensate:`` undoes it if the run fails); ``refused``: an unknown tool,
    arguments that failed the schema, or a person declined; ``waiting``: for approval."""
    duration_ms: float | None = None
    error: str | None = None
    approved_by: str | None = None
    key: str = ""
    """The call's idempotency key (``<run>/<step>/<turn>/<call>``)."""


class TurnRecord(Contract):
    """One model turn of an agent step's tool loop: what the model and its tools cost."""

    turn: int
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """The model call (repair rounds within the turn included)."""
    tools_usd: float = 0.0
    """The prices of the tool calls the turn asked for."""
    tool_calls: int = 0


class SuperviseTurn(Contract):
    """One decision of a ``supervise`` step's manager, and what the member did with it."""

    turn: int
    member: str
    """The member chosen, or ``done``."""
    task: str = ""
    reason: str = ""
    agent: str | None = None
    """The agent that did the work (a capability member's pick)."""
    status: Literal["running", "ok", "failed", "done"] = "running"
    output: Any = None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    """The manager's decision (its repair rounds included)."""
    member_cost_usd: float = 0.0
    duration_ms: float | None = None

    def text(self) -> str:
        """``3 thailand failed`` / ``4 done``."""
        if self.member == "done":
            return f"{self.turn} done"
        return f"{self.turn} {self.member} {self.status}"


class StepState(Contract):
    """One step's progress and outcome."""

    id: str
    kind: str = "agent"
    agent: str = ""
    status: StepStatus = "pending"
    output: Any = None
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    model: str | None = None
    offline: bool = False
    error: str | None = None
    error_type: str | None = None
    skipped_reason: str | None = None
    progress: Progress | None = None
    route_case: str | None = None
    rounds: list[RoundRecord] = Field(default_factory=list)
    converged: bool | None = None
    child_workflow_id: str | None = None
    assignment: str | None = None
    """Which agent was chosen for a capability step, and why."""
    assignments: list[str] = Field(default_factory=list)
    """The same for capability steps nested in this one (map items, route cases)."""
    tolerated: bool = False
    """Failed, but the run goes on (optional step, or a branch with on_error: continue)."""
    tried: list[TryRecord] = Field(default_factory=list)
    """Agents tried in order when a step needed repair rounds or fallbacks."""
    turns: int = 0
    """Model turns of the step's tool loop (0: no tools)."""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    turn_costs: list[TurnRecord] = Field(default_factory=list)
    """Per model turn of the tool loop: tokens, the model's cost and the tools' prices."""
    supervision: list[SuperviseTurn] = Field(default_factory=list)
    """A ``supervise`` step's decisions, in order (carried across continue-as-new)."""
    handed_over: bool = False
    """Stopped between turns for a continue-as-new: the next run resumes it."""
    budget: BudgetState | None = None
    """The step's cap and ledger (when it declares ``budget:``)."""
    deadline_at: datetime | None = None
    breached: bool = False
    """The step ran past its deadline."""

    def satisfied(self) -> bool:
        """Whether steps that need this one may start (done, skipped, or failed harmlessly)."""
        return self.status in ("completed", "skipped", "cancelled") or (
            self.status == "failed" and self.tolerated
        )


class AgentAccuracy(Contract):
    """Whether one agent's work held up in a run (recorded by ``workflows.accuracy``)."""

    contract_failures: int = 0
    """Answers that failed the agent's output contract (its schema)."""
    repairs: int = 0
    """Invalid answers that a repair round fixed."""
    reviews_accepted: int = 0
    reviews_rejected: int = 0
    """Refine rounds whose reviewer accepted, or sent back, the agent's draft."""
    human_approved: int = 0
    human_rejected: int = 0
    """People's decisions on the agent's work (approvals showing it, its tool calls)."""

    def add(self, other: AgentAccuracy) -> None:
        """Fold ``other`` into this one."""
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class AgentTotals(Contract):
    """What one agent did in a run (all its calls, nested steps and child runs included)."""

    calls: int = 0
    """Calls that returned an answer (each repair round and fallback is a call)."""
    failed: int = 0
    """Calls that failed for good (after Temporal's retries)."""
    errors: dict[str, int] = Field(default_factory=dict)
    """Failures by error class (``ProviderRateLimited``, ``OutputSchemaError``, …)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latencies_ms: list[float] = Field(default_factory=list)
    """Latency of the first ``LATENCY_SAMPLES`` answered calls (for p50/p95)."""
    accuracy: AgentAccuracy = Field(default_factory=AgentAccuracy)

    def add(self, other: AgentTotals) -> None:
        """Fold ``other`` (e.g. a child run's totals) into this one."""
        self.calls += other.calls
        self.failed += other.failed
        for name, count in other.errors.items():
            self.errors[name] = self.errors.get(name, 0) + count
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd = round(self.cost_usd + other.cost_usd, 8)
        room = LATENCY_SAMPLES - len(self.latencies_ms)
        self.latencies_ms.extend(other.latencies_ms[: max(0, room)])
        self.accuracy.add(other.accuracy)


LATENCY_SAMPLES = 200


def merge_agents(into: dict[str, AgentTotals], other: dict[str, AgentTotals]) -> None:
    """Add per-agent totals of a child run or batch to ``into``."""
    for name, totals in other.items():
        into.setdefault(name, AgentTotals()).add(totals)


class CompensationRecord(Contract):
    """One compensation (undo) run after a failure or cancellation."""

    step: str
    agent: str
    status: Literal["completed", "failed"]
    output: Any = None
    error: str | None = None


class JumpRecord(Contract):
    """A step whose answer sent the run elsewhere (``goto``): from, to, when, which time."""

    step: str
    to: str
    at: datetime
    count: int
    """The how-many-th jump of this step."""


class RunState(Contract):
    """Everything a person needs to know about a run while and after it runs."""

    spec: str
    status: RunStatus = "running"
    current: list[str] = Field(default_factory=list)
    steps: list[StepState] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    error: str | None = None
    priority: str | None = None
    """The run's Temporal Priority as people read it (``priority 1, fairness TH × 2``)."""
    warnings: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    """What a reader of the result must know: optional steps that failed, refine loops
    that stopped without acceptance, steps decided by people."""
    requests: list[HumanRequest] = Field(default_factory=list)
    """Every human request of the run, open or closed, with its decision (audit trail)."""
    rejected_signals: list[RejectedAttempt] = Field(default_factory=list)
    """Decisions sent by signal that were refused (kept for the audit)."""
    compensations: list[CompensationRecord] = Field(default_factory=list)
    """Undo steps run, newest step first, when the run failed or was cancelled."""
    agents: dict[str, AgentTotals] = Field(default_factory=dict)
    """Calls, failures, tokens, cost and latencies per agent."""
    budget: BudgetState | None = None
    """The run's budget and ledger (when the spec declares ``budget:``)."""
    deadline_at: datetime | None = None
    breached: bool = False
    jumps: list[JumpRecord] = Field(default_factory=list)
    """Where answers sent the run (``goto``), in order."""
    continued: int = 0
    """How many times the run continued as new (same workflow id, a fresh history)."""

    def open_requests(self) -> list[HumanRequest]:
        """Requests waiting for a person."""
        return [r for r in self.requests if r.status == "open"]

    def find(self, step_id: str) -> StepState | None:
        """The state of ``step_id`` if the run tracks it."""
        for step in self.steps:
            if step.id == step_id:
                return step
        return None

    def step(self, step_id: str) -> StepState:
        """The state of ``step_id`` (KeyError if untracked)."""
        found = self.find(step_id)
        if found is None:
            raise KeyError(step_id)
        return found


class RunResult(Contract):
    """The interpreter workflow's result: the run's output plus its final state."""

    output: Any = None
    state: RunState
