"""An agent step from a hand-written workflow: the same repair rounds, fallbacks and budget
as a spec's agent step, without a spec.

    ledger = AgentStepLedger(budget_usd=0.50)          # once per workflow run
    answer = await call_agent_step(agents["legal"], {"terms": t}, step_id="legal",
                                   fallbacks=[agents["legal-backup"]], ledger=ledger)
    answer.output, answer.tried, ledger.state.spent_usd

``call_agent`` (``workflows.steps.agent_call``) is one call; this is the whole step.
"""

from __future__ import annotations

import json
from typing import Any

from podium.activities.contract_base import Contract
from podium.activities.contracts import AgentConfig
from podium.activities.retry_settings import RetrySettings
from podium.workflows.frame import Frame
from podium.workflows.kinds.agent import AgentNode, run_agent_node
from podium.workflows.run_context import RunContext
from podium.workflows.state import BudgetState, RunState, StepState, TryRecord


class AgentStepResult(Contract):
    """What one agent step gave: its output and how it got there."""

    output: Any = None
    agent: str = ""
    """The agent that answered (a fallback's name after a fallback)."""
    attempts: int = 0
    tried: list[TryRecord] = []
    """Retries, repair rounds and fallbacks, in order (empty when the first call answered)."""
    cost_usd: float = 0.0
    tokens: int = 0


class AgentStepLedger:
    """Spend of the agent steps of one workflow run, against an optional budget
    (``on_exceed`` fail: a call that would not fit fails with ``BudgetExceeded``)."""

    def __init__(self, budget_usd: float | None = None, budget_tokens: int | None = None):
        budget = None
        if budget_usd is not None or budget_tokens is not None:
            budget = BudgetState(usd=budget_usd, tokens=budget_tokens)
        self.state = RunState(spec="python", budget=budget)
        self.ctx = RunContext(self.state)


async def call_agent_step(
    agent: AgentConfig,
    inputs: dict[str, Any],
    *,
    step_id: str,
    fallbacks: list[AgentConfig] | None = None,
    retry: RetrySettings | None = None,
    timeout_s: float | None = None,
    ledger: AgentStepLedger | None = None,
) -> AgentStepResult:
    """Run an agent step in a workflow: retries, ``repair_attempts`` re-asks of an invalid
    answer, then ``fallbacks`` in order; spend charged to ``ledger`` (and its budget).

    Inputs are passed as they are (no expressions). Raises ``ActivityError`` when every
    agent failed, ``ApplicationError`` ``BudgetExceeded`` when the budget would not fit.
    """
    ledger = ledger or AgentStepLedger()
    node = AgentNode(
        id=step_id,
        agent=agent,
        fallbacks=list(fallbacks or []),
        inputs={name: "input." + json.dumps(name) for name in inputs},  # quoted: any key
        timeout_s=timeout_s or agent.timeout_s,
        retry=retry or agent.retry,
    )
    record = StepState(id=step_id, agent=agent.name)
    frame = Frame.of_run(dict(inputs)).owned_by(record)
    before_cost, before_tokens = ledger.state.cost_usd, ledger.state.usage.total_tokens
    output = await run_agent_node(node, frame, ledger.ctx)
    return AgentStepResult(
        output=output,
        agent=record.agent,
        attempts=record.attempts,
        tried=record.tried,
        cost_usd=round(ledger.state.cost_usd - before_cost, 8),
        tokens=ledger.state.usage.total_tokens - before_tokens,
    )
