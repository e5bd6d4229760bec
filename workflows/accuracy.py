"""Each agent's accuracy, recorded from workflow code where it shows.

Four signals say whether an agent's work held up:

- **contract failures and repairs**: an answer that failed the agent's output schema
  (``kinds/agent.py``, ``steps/tool_loop.py``), and one that a repair round then fixed;
- **reviewer verdicts** in ``refine``: each round's reviewer accepted the producer's
  draft or sent it back (``kinds/refine.py``);
- **people's decisions** on an agent's work: an approval step showing what agents
  answered (the steps its ``details`` and ``when`` read), a tool call an agent asked for
  (``kinds/approval.py``, ``steps/tool_approval.py``); a default decision taken when
  nobody answered in time is nobody's verdict and is not counted;
- **eval and judge scores**: recorded by ``podium eval`` (``workflows/eval_scores.py``).

Each is counted twice, in one call: in the run state's per-agent totals
(``AgentTotals.accuracy``, which ``podium stats`` and the console read, child runs folded
into their parent's) and as a Prometheus metric through ``workflow.metric_meter()``, which
records nothing while a history replays.
"""

from __future__ import annotations

from typing import Any

from podium.activities.metric_names import (
    CONTRACT_FAILURES,
    CONTRACT_REPAIRS,
    HUMAN_DECISIONS,
    REVIEW_VERDICTS,
)
from podium.workflows.expressions import ExpressionError, references
from podium.workflows.run_context import RunContext
from podium.workflows.state import AgentAccuracy, AgentTotals, merge_agents
from temporalio import workflow

NO_AGENT = "-"
"""The ``agent`` label of a decision on work no agent's step names (e.g. only the input)."""


def _count(ctx: RunContext, agent: str, **counts: int) -> None:
    one = AgentTotals(accuracy=AgentAccuracy(**counts))
    merge_agents(ctx.state.agents, {agent: one})


def contract_failed(ctx: RunContext, agent: str, error_type: str) -> None:
    """An answer of ``agent`` failed its output contract (``error_type``: its class)."""
    _count(ctx, agent, contract_failures=1)
    labels = {"spec": ctx.state.spec, "agent": agent, "error_type": error_type}
    CONTRACT_FAILURES.counter(workflow.metric_meter()).add(1, labels)


def contract_repaired(ctx: RunContext, agent: str) -> None:
    """A repair round of ``agent`` answered within its contract."""
    _count(ctx, agent, repairs=1)
    labels = {"spec": ctx.state.spec, "agent": agent}
    CONTRACT_REPAIRS.counter(workflow.metric_meter()).add(1, labels)


def reviewed(ctx: RunContext, producer: str, reviewer: str, accepted: bool) -> None:
    """A refine round's reviewer accepted (or sent back) ``producer``'s draft."""
    if accepted:
        _count(ctx, producer, reviews_accepted=1)
    else:
        _count(ctx, producer, reviews_rejected=1)
    verdict = "accepted" if accepted else "rejected"
    labels = {"spec": ctx.state.spec, "agent": producer, "reviewer": reviewer, "verdict": verdict}
    REVIEW_VERDICTS.counter(workflow.metric_meter()).add(1, labels)


def decided(ctx: RunContext, agents: list[str], approved: bool) -> None:
    """A person approved (or rejected) work of ``agents`` (none: counted as ``-``)."""
    outcome = "approved" if approved else "rejected"
    counter = HUMAN_DECISIONS.counter(workflow.metric_meter())
    for agent in agents or [NO_AGENT]:
        if agent != NO_AGENT:
            if approved:
                _count(ctx, agent, human_approved=1)
            else:
                _count(ctx, agent, human_rejected=1)
        counter.add(1, {"spec": ctx.state.spec, "agent": agent, "outcome": outcome})


def agent_of(node: Any) -> str:
    """The agent a step calls (a refine's producer or reviewer), else the step's id."""
    agent = getattr(node, "agent", None)
    return getattr(agent, "name", None) or node.id


def shown_agents(ctx: RunContext, expressions: list[str | None]) -> list[str]:
    """The agents whose answers ``expressions`` read: the agent that answered each step
    they name (``steps.risk.output`` → the risk step's agent), in order, once each."""
    found: list[str] = []
    for expression in expressions:
        if not expression:
            continue
        try:
            _, step_ids, _ = references(expression)
        except ExpressionError:  # (compiled specs parse; a hand-made plan may not)
            continue
        for step_id in sorted(step_ids):
            record = ctx.find(step_id)
            agent = record.agent if record is not None else None
            if agent and not agent.startswith("human:") and agent not in found:
                found.append(agent)
    return found
