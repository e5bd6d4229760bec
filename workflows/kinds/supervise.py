"""The ``supervise`` step kind: a manager agent picks, turn by turn, which member of a
team works next (an agent, the best agent with a capability, or people), until it says
``done``, ``until`` holds, or ``max_turns``.

Each turn is two ordinary nested steps — the manager's decision (an agent call whose
output schema is the decision: ``next`` must name a member or ``done``, so a choice
outside the team is repaired like any invalid answer) and the member's work — so
budgets, retries, fallbacks, tools and the Web UI labels behave as everywhere else.
Every decision is recorded on the step (``StepState.supervision``); a member's failure
goes back to the manager (at most ``max_failures`` times). A top-level supervision hands
over to a fresh run between turns when the history is full, and the next run resumes at
the next turn (the records travel in the run state). The step as the plan holds it, and
its compilation: ``kinds/supervise_plan.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from podium.activities.contracts import AgentConfig
from podium.activities.error_types import RUN_STOPPING
from podium.activities.errors import StepBudgetExceeded, StepFailed
from podium.workflows.frame import Frame
from podium.workflows.kinds.base import StepKind
from podium.workflows.kinds.supervise_plan import (
    DONE,
    Member,
    SuperviseNode,
)
from podium.workflows.run_context import HandOver, RunContext
from podium.workflows.state import StepState, SuperviseTurn
from podium.workflows.steps.execute import execute
from podium.workflows.steps.human_desk import close_by_timeout, open_request, wait_for_decision
from podium.workflows.steps.support import describe, evaluate_in, failure
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

if TYPE_CHECKING:
    pass


class SuperviseKind(StepKind):
    """``supervise: {manager: <agent>, team: {name: {agent|capability|human}}, …}``."""

    name = "supervise"
    node = SuperviseNode
    shape = "route"
    summary = "a manager agent picks who works next from a team, turn by turn, until done"

    def children(self, node: SuperviseNode) -> list[Any]:
        return [node.manager, *(m.step for m in node.team if m.step is not None)]

    def asks_people(self, node: SuperviseNode) -> bool:
        return any(m.kind == "human" for m in node.team)

    def label(self, node: SuperviseNode) -> str:
        return (
            f"supervise by {manager_name(node)}: {', '.join(m.name for m in node.team)}, "
            f"≤ {node.max_turns} turns"
        )


def manager_name(node: SuperviseNode) -> str:
    agent = getattr(node.manager, "agent", None)
    return agent.name if isinstance(agent, AgentConfig) else node.manager.id


async def run_supervise(node: SuperviseNode, frame: Frame, ctx: RunContext) -> Any:
    """Turn after turn: the manager decides, the member works; return ``done``'s output
    (or, at ``until`` or ``max_turns``, the last member output)."""
    owner = frame.owner
    track = owner is not None and frame.owns(node.id)
    turns: list[SuperviseTurn] = owner.supervision if track and owner is not None else []
    team = {m.name: m for m in node.team}
    roster = [{"name": m.name, "kind": m.kind, "does": m.description} for m in node.team]
    manager = manager_name(node)
    failures = sum(1 for t in turns if t.status == "failed")
    seen: dict[int, dict[str, Any]] = {}
    """Each finished turn as the manager reads it, computed once (by record identity)."""
    while True:
        number = len(turns) + 1
        last = _last_output(turns)
        if number > node.max_turns:
            ctx.state.flags.append(
                f"supervise step {node.id!r} used all {node.max_turns} turns (max_turns) "
                "without the manager saying done; its output is the last member's"
            )
            return last
        if ctx.hand_over(node.id):  # the history is full: the next run goes on from here
            raise HandOver()
        window = turns[-node.show_turns :] if node.show_turns else []
        for t in window:
            if id(t) not in seen:
                seen[id(t)] = _shown(t, node.show_chars)
        asking = frame.with_vars(
            team=roster,
            turns=[seen[id(t)] for t in window],
            turn=number,
            max_turns=node.max_turns,
        ).labelled(f"{node.id} turn {number}")
        before = _spent(owner)
        started = workflow.now()
        try:
            decision = await execute(node.manager, asking, ctx)
        except (ActivityError, ApplicationError, ChildWorkflowError) as exc:
            if _over_cap(node, exc):
                return _stop_at_cap(node, ctx, exc, last)
            raise
        record = SuperviseTurn(
            turn=number,
            member=str(decision.get("next")),
            task=str(decision.get("task") or ""),
            reason=str(decision.get("reason") or ""),
        )
        record.input_tokens, record.output_tokens, record.cost_usd = _delta(before, owner)
        turns.append(record)  # (the step's own record: a hand-over carries it)
        ctx.events.publish(
            "supervisor.decision",
            step=node.id,
            text=record.reason,
            turn=number,
            next=record.member,
            task=record.task,
        )
        _age(turns, node)
        if record.member == DONE:
            record.status, record.output = "done", decision.get("output")
            record.duration_ms = _ms(started)
            return record.output
        member = team[record.member]  # the decision's schema allows members and done only
        inputs = decision.get("inputs") if isinstance(decision.get("inputs"), dict) else {}
        before = _spent(owner)
        try:
            if member.step is None:
                output = await _ask(node, member, record, inputs or {}, ctx, manager)
            else:
                work = frame.with_vars(task=record.task, inputs=inputs, turn=number)
                output = await execute(
                    member.step, work.labelled(f"turn {number}", caller=manager), ctx
                )
        except (ActivityError, ApplicationError, ChildWorkflowError) as exc:
            error_type, message = describe(exc)
            record.status, record.error = "failed", f"{error_type}: {message}"
            record.member_cost_usd = _delta(before, owner)[2]
            record.duration_ms = _ms(started)
            if _over_cap(node, exc):
                return _stop_at_cap(node, ctx, exc, last)
            if error_type in RUN_STOPPING:
                raise
            failures += 1
            if failures > node.max_failures:
                raise failure(
                    f"step {node.id!r}: team members failed {failures} times (more than "
                    f"max_failures: {node.max_failures}); the last: {member.name} at turn "
                    f"{number}: {error_type}: {message}",
                    StepFailed,
                    step=node.id,
                ) from None
            continue  # the manager reads the error next turn
        record.status, record.output = "ok", output
        record.agent = _agent_of(member)
        record.member_cost_usd = _delta(before, owner)[2]
        record.duration_ms = _ms(started)
        if node.until is not None:
            scope = frame.with_vars(last=record.model_dump(mode="json"), turn=number).data
            if evaluate_in(node.id, "until", node.until, scope):
                return output


async def _ask(
    node: SuperviseNode,
    member: Member,
    record: SuperviseTurn,
    inputs: dict[str, Any],
    ctx: RunContext,
    manager: str,
) -> Any:
    """Put the manager's task to people (the inbox); their answer is the member's output."""
    title = f"{manager} asks {member.name}: {record.task}"
    details = {"task": record.task, "inputs": inputs, "reason": record.reason}
    request = open_request(ctx, "question", node.id, title[:300], details, on_timeout="fail")
    decision = await wait_for_decision(ctx, request, [(member.approvers, member.timeout_s)])
    if decision is None:
        close_by_timeout(ctx, request, "reject")
        raise failure(
            f"nobody of {', '.join(member.approvers) or 'anyone'} answered within "
            f"{member.timeout_s:g}s",
            StepFailed,
            step=node.id,
        )
    answer = decision.output if decision.outcome == "supply" else decision.outcome
    return {"answer": answer, "comment": decision.comment, "by": decision.by}


def _age(turns: list[SuperviseTurn], node: SuperviseNode) -> None:
    """Keep the state bounded over a long supervision: the turn that just left the
    manager's window keeps its output only as the manager saw it (cut to show_chars)."""
    gone = len(turns) - max(node.show_turns, 1) - 1
    if gone >= 0 and turns[gone].status == "ok":
        turns[gone].output = _shown(turns[gone], node.show_chars).get("output")


def _last_output(turns: list[SuperviseTurn]) -> Any:
    return next((t.output for t in reversed(turns) if t.status == "ok"), None)


def _shown(turn: SuperviseTurn, chars: int) -> dict[str, Any]:
    """A turn as the manager reads it: outputs cut to ``chars`` characters."""
    seen: dict[str, Any] = {"turn": turn.turn, "member": turn.member, "task": turn.task}
    if turn.status == "failed":
        seen["error"] = turn.error
        return seen
    text = json.dumps(turn.output, ensure_ascii=False, default=str)
    seen["output"] = (
        turn.output if len(text) <= chars else f"{text[:chars]}… (cut: {len(text)} characters)"
    )
    return seen


def _spent(owner: StepState | None) -> tuple[int, int, float]:
    if owner is None:
        return 0, 0, 0.0
    return owner.usage.input_tokens, owner.usage.output_tokens, owner.cost_usd


def _delta(before: tuple[int, int, float], owner: StepState | None) -> tuple[int, int, float]:
    """What the step was charged since ``before`` (its calls run one at a time)."""
    now = _spent(owner)
    return now[0] - before[0], now[1] - before[1], round(now[2] - before[2], 8)


def _agent_of(member: Member) -> str | None:
    """The member's agent (a capability member's pick is in the step's assignments)."""
    if getattr(member.step, "capability", None):
        return None
    agent = getattr(member.step, "agent", None)
    return agent.name if isinstance(agent, AgentConfig) else None


def _over_cap(node: SuperviseNode, exc: BaseException) -> bool:
    """The supervise step's own ``budget:`` cannot pay for more (an enclosing step's
    cap failing is that step's business)."""
    error_type, message = describe(exc)
    return error_type == StepBudgetExceeded.__name__ and message.startswith(
        f"step {node.id!r} is over its budget"
    )


def _stop_at_cap(node: SuperviseNode, ctx: RunContext, exc: BaseException, last: Any) -> Any:
    """The step's budget cannot pay for another turn: stop, flagged, with the last output."""
    ctx.state.flags.append(
        f"supervise step {node.id!r} stopped at its budget ({describe(exc)[1]}); its output "
        "is the last member's"
    )
    return last


def _ms(started: Any) -> float:
    return (workflow.now() - started).total_seconds() * 1000
