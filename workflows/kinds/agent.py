"""The ``agent`` step kind: call one agent (or the best agent with a capability), with
repair rounds, fallbacks, budget reservations and an undo (saga)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.contracts import AgentConfig, FailureDetails, RepairRequest
from podium.activities.error_types import SCHEMA_ERROR_TYPES
from podium.activities.retry_settings import RetrySettings
from podium.workflows.accuracy import contract_failed, contract_repaired
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import NodeBase, StepKind
from podium.workflows.run_context import RunContext
from podium.workflows.state import TryRecord
from podium.workflows.steps.agent_call import call_agent
from podium.workflows.steps.assignment import assign
from podium.workflows.steps.budget import estimate, ledgers, reserve, settle
from podium.workflows.steps.guard_checks import GUARD_TRIPPED, note_guards
from podium.workflows.steps.memory import MEMORY_INPUT, recall
from podium.workflows.steps.support import describe, evaluate_inputs
from podium.workflows.steps.tool_loop import TOOL_LOOP_BUDGET, converse
from pydantic import Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, CancelledError

if TYPE_CHECKING:
    pass


class Goto(Contract):
    """Where the agent's answer may send the run next (its ``goto`` field), and how often."""

    to: list[str]
    """Top-level step ids, or ``end`` (skip the rest)."""
    max: int = 3
    """Most jumps this step may make in one run; one more fails the step."""


class AgentNode(NodeBase):
    """Call one agent."""

    kind: Literal["agent"] = "agent"
    agent: AgentConfig
    inputs: dict[str, str] = Field(default_factory=dict)
    """Input name → JMESPath expression over ``{input, steps, vars}``."""
    timeout_s: float
    retry: RetrySettings
    fallbacks: list[AgentConfig] = Field(default_factory=list)
    """Tried in order when the agent fails for good (after retries and repairs)."""
    capability: str | None = None
    """Set when the step asked for a capability: the agent is chosen at run time."""
    compensate: AgentNode | None = None
    """Undoes this step (saga) if a later step fails or the run is cancelled."""
    candidates: list[AgentConfig] = Field(default_factory=list)
    require: dict[str, str] = Field(default_factory=dict)
    """Requirement name (market, language, max_price) → expression."""
    goto: Goto | None = None
    """Dynamic control: the answer's ``goto`` field names the next step (see ``Goto``)."""


class AgentKind(StepKind):
    """``agent: <name>`` or ``capability: <name>`` (+ ``require:``)."""

    name = "agent"
    node = AgentNode
    shape = "agent"
    summary = "call one agent, or the best agent with a capability (repair, fallbacks, undo)"

    def label(self, node: AgentNode) -> str:
        if node.capability:
            return f"capability {node.capability}"
        return f"agent {node.agent.name}"

    def asks_people(self, node: AgentNode) -> bool:
        """A guard of its agents (or of their tools) may hand a trip to a person."""
        agents = [node.agent, *node.fallbacks, *node.candidates]
        guards = [a.guard for a in agents] + [t.guard for a in agents for t in a.tools]
        return any(g is not None and g.escalates() for g in guards)


async def run_agent_node(node: AgentNode, frame: Frame, ctx: RunContext) -> Any:
    """Call the agent; re-ask on schema-invalid output; then try the fallbacks in order.

    Each call is one activity (Temporal retries transient failures within it). A
    failure that survives every agent propagates as the last ``ActivityError``;
    ``execute`` records and names it.
    """
    owner = frame.owner
    inputs = evaluate_inputs(node.id, node.inputs, frame.data)
    if node.memory is not None and node.memory.read is not None:  # facts of earlier runs
        inputs[MEMORY_INPUT] = await recall(node, frame)
    inputs.update(frame.edited_inputs(node.id))  # a person's edited inputs
    where = frame.label or node.id
    track = frame.owns(node.id)
    agents = [node.agent, *node.fallbacks]
    if node.capability:
        ranked, reason = await assign(
            node.id, node.capability, node.candidates, node.require, frame.data
        )
        agents = ranked  # the other eligible agents are the fallbacks, best first
        if owner is not None and track:
            owner.assignment = reason
            owner.agent = ranked[0].name
        elif owner is not None:  # a map item or route case: keep it on the enclosing step
            owner.assignments.append(f"{where}: {reason}")
    last: ActivityError | None = None
    for k, agent in enumerate(agents):
        repair: RepairRequest | None = None
        for round_no in range(agent.repair_attempts + 1):
            label = f"{agent.name} · {where}" + (f" · repair {round_no}" if round_no else "")
            if frame.caller:  # work a supervisor handed out: "lead → agent · turn 3"
                label = f"{frame.caller} → {label}"
            primary = k == 0
            if k > 0 and owner is not None and track and owner.tried:
                label += f" · after {owner.tried[-1].text()}"  # the Web UI tells why
            # The tool loop reserves and charges each turn itself (runs started before
            # that reserve once for the whole loop, here, and are charged its totals).
            looping = bool(agent.tools) and workflow.patched(TOOL_LOOP_BUDGET)
            reservation = None
            if not looping and ledgers(ctx, frame):  # (estimating renders the prompt)
                need = estimate(agent, inputs, repair)
                reservation = await reserve(ctx, frame, agent, node.id, need)
            failed_attempts: list[str] = []
            try:
                if agent.tools:  # (repairs happen inside it)
                    result = await converse(
                        agent,
                        inputs,
                        step_id=node.id,
                        label=label,
                        ctx=ctx,
                        frame=frame,
                        track=track,
                        budgeted=looping,
                        timeout_s=node.timeout_s if primary else None,
                        retry=node.retry if primary else None,
                        failed_attempts=failed_attempts,
                    )
                else:
                    result = await call_agent(
                        agent,
                        inputs,
                        step_id=node.id,
                        label=label,
                        repair=repair,
                        timeout_s=node.timeout_s if primary else None,
                        retry=node.retry if primary else None,
                        failed_attempts=failed_attempts,
                        events=ctx.events,
                        spend=ctx.spend,
                    )
            except ActivityError as exc:
                last = exc
                error_type, message = describe(exc)
                details = FailureDetails.of(exc)
                paid = details.billed()  # an answer that failed its schema was still billed
                billed = details.cost_usd or 0.0
                settle(reservation, paid, billed)
                reservation = None
                if looping:  # charged by the loop, turn by turn
                    paid, billed = None, 0.0
                if paid is not None:
                    ctx.charge(owner, paid, billed)
                if isinstance(exc.cause, CancelledError):  # we were cancelled: no fallbacks
                    raise
                ctx.note_failure(agent.name, error_type, paid, billed)
                if error_type in SCHEMA_ERROR_TYPES and not agent.tools:  # (the loop counts its)
                    contract_failed(ctx, agent.name, error_type)
                repairs_left = round_no < agent.repair_attempts and not agent.tools
                if error_type in SCHEMA_ERROR_TYPES and repairs_left:
                    repair = RepairRequest(
                        previous=details.content or "",
                        errors=details.errors or [message],
                    )
                    step_next = f"repair round {round_no + 1} with the validation errors"
                elif error_type == GUARD_TRIPPED:  # a fallback would be sent the same text
                    step_next = "stop: a tripped guard skips the fallbacks"
                elif k + 1 < len(agents):
                    step_next = f"fall back to {agents[k + 1].name}"
                else:
                    step_next = "give up"
                if owner is not None and track:
                    owner.tried.append(
                        TryRecord(
                            agent=agent.name,
                            outcome="failed",
                            error=f"{error_type}: {message}",
                            next=step_next,
                            attempts=max(1, len(failed_attempts)),
                            errors=failed_attempts,
                        )
                    )
                if step_next.startswith("repair"):
                    continue
                break
            else:
                settle(reservation, result.usage, result.cost_usd)
                reservation = None
            finally:  # cancelled before an answer, or anything unexpected: release it
                settle(reservation, None, 0.0)
            ctx.charge_result(owner, result, agent.name, charged=looping)
            note_guards(ctx, where, result.guarded)
            if round_no:  # only an invalid answer leads to another round
                contract_repaired(ctx, agent.name)
            if track:
                assert owner is not None
                if owner.tried or failed_attempts:  # the story of a step that was not easy
                    owner.tried.append(
                        TryRecord(
                            agent=agent.name,
                            outcome="ok",
                            attempts=result.attempt,
                            errors=failed_attempts,
                        )
                    )
                owner.attempts = result.attempt
                owner.model = result.model
                owner.offline = result.offline
                if not primary:
                    owner.agent = agent.name
            return result.output
    assert last is not None
    raise last
