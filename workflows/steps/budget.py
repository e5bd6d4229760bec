"""Budgets inside a run: reserve an estimate before each agent call, settle after.

A run's ledger (``RunState.budget``) and the caps of the steps around a call
(``StepState.budget`` or an untracked template's own) each keep spent and reserved
amounts. A call starts only if its estimate (prompt tokens + the agent's max output
tokens at its price) fits every ledger; afterwards the estimate is released and the
real usage charged, once per call (a Temporal retry is one call, a repair round is
another).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podium.activities.contracts import AgentCall, AgentConfig, RepairRequest, Usage
from podium.activities.errors import BudgetExceeded, RunAborted, StepBudgetExceeded
from podium.activities.providers.prompt import estimate_call
from podium.workflows.frame import Frame
from podium.workflows.humans import HumanRequest
from podium.workflows.kinds.base import Budget
from podium.workflows.run_context import RunContext
from podium.workflows.state import BudgetState
from podium.workflows.steps.human_desk import open_request, wait_for_decision
from podium.workflows.steps.support import failure
from temporalio import workflow


@dataclass
class Reservation:
    """What one call reserved, and in which ledgers."""

    ledgers: list[BudgetState]
    usd: float
    tokens: int


def estimate(
    agent: AgentConfig,
    inputs: dict[str, Any],
    repair: RepairRequest | None,
    messages: list[dict[str, Any]] | None = None,
) -> Usage:
    """The most a call may use: its prompt's estimated tokens (a tool loop's transcript
    so far included) and the max output tokens."""
    call = AgentCall(agent=agent, inputs=inputs, repair=repair, messages=messages or [])
    prompt, most_out = estimate_call(call)
    return Usage(input_tokens=prompt, output_tokens=most_out)


async def reserve(
    ctx: RunContext, frame: Frame, agent: AgentConfig, step_id: str, need: Usage
) -> Reservation | None:
    """Reserve ``need`` in every ledger around the call; None when no budget applies.

    A step cap that does not fit fails the step (``StepBudgetExceeded``). The run budget:
    with ``on_exceed: fail`` no new call starts, in-flight calls settle, then the run
    fails (``BudgetExceeded``); with ``escalate`` a person raises it, lets the call go
    ahead, or aborts.
    """
    usd = round(agent.price.cost(need), 8)
    who = f"agent {agent.name!r}"
    return await reserve_amount(ctx, frame, step_id, who, usd, need.total_tokens)


async def reserve_amount(
    ctx: RunContext, frame: Frame, step_id: str, who: str, usd: float, tokens: int
) -> Reservation | None:
    """``reserve`` for a known amount (a tool call's price): ``who`` names the spender in
    what people are told."""
    caps: list[tuple[str, BudgetState]] = list(frame.caps)
    run = ctx.state.budget
    if run is None and not caps:
        return None
    ledgers = [ledger for _, ledger in caps] + ([run] if run is not None else [])
    while True:
        busy = next((b for b in ledgers if _after_in_flight(b, usd, tokens)), None)
        if busy is not None:  # it fits once the calls in flight settle (below their estimates)
            await _released(busy)
            continue
        for owner, cap in caps:
            why = cap.shortfall(usd, tokens)
            if why is not None:
                raise failure(
                    f"step {owner!r} is over its budget at {step_id!r} ({who}): {why}",
                    StepBudgetExceeded,
                    step=step_id,
                )
        why = run.shortfall(usd, tokens) if run is not None else None
        if why is None:
            break
        assert run is not None
        if run.on_exceed == "fail" or run.exhausted:
            await _stop(ctx, run, why, step_id, who)
        if await _ask(ctx, run, why, step_id, who, usd, tokens) == "continue":
            break  # (after "raise" or a withdrawn request: check again)
    for ledger in ledgers:
        ledger.reserved_usd = round(ledger.reserved_usd + usd, 8)
        ledger.reserved_tokens += tokens
        ledger.in_flight += 1
    return Reservation(ledgers, usd, tokens)


async def _released(ledger: BudgetState) -> None:
    seen = ledger.in_flight
    await workflow.wait_condition(lambda: ledger.in_flight < seen or bool(ledger.exhausted))


def _holding(ledger: BudgetState) -> bool:
    """Calls in flight (or a child run) hold part of this ledger."""
    return ledger.in_flight > 0


def _after_in_flight(ledger: BudgetState, usd: float, tokens: int) -> bool:
    """Over the limit now, but not once the reserved estimates are released."""
    return (
        _holding(ledger)
        and not ledger.exhausted
        and ledger.shortfall(usd, tokens) is not None
        and ledger.shortfall(usd, tokens, counting_reserved=False) is None
    )


def hold(targets: list[BudgetState], limit: Budget) -> Reservation:
    """Reserve all of ``limit`` (what a child run may spend) until ``settle``."""
    usd, tokens = limit.usd or 0.0, limit.tokens or 0
    for ledger in targets:
        ledger.reserved_usd = round(ledger.reserved_usd + usd, 8)
        ledger.reserved_tokens += tokens
        ledger.in_flight += 1
    return Reservation(targets, usd, tokens)


def settle(reservation: Reservation | None, used: Usage | None, cost_usd: float) -> None:
    """Release the estimate and charge what the call really used (nothing if it failed)."""
    if reservation is None:
        return
    for ledger in reservation.ledgers:
        ledger.in_flight -= 1
        ledger.reserved_usd = max(0.0, round(ledger.reserved_usd - reservation.usd, 8))
        ledger.reserved_tokens = max(0, ledger.reserved_tokens - reservation.tokens)
        if ledger.in_flight <= 0:  # nothing held: no rounding drift left behind
            ledger.in_flight, ledger.reserved_usd, ledger.reserved_tokens = 0, 0.0, 0
    if used is not None:
        spend(reservation.ledgers, used, cost_usd)


def spend(targets: list[BudgetState], used: Usage, cost_usd: float) -> None:
    """Charge spend that needed no reservation (a child run's total, a compensation)."""
    for ledger in targets:
        ledger.spent_usd = round(ledger.spent_usd + cost_usd, 8)
        ledger.spent_tokens += used.total_tokens
        ledger.calls += 1


def ledgers(ctx: RunContext, frame: Frame) -> list[BudgetState]:
    """The step caps around ``frame`` and the run budget."""
    found = [cap for _, cap in frame.caps]
    return found + ([ctx.state.budget] if ctx.state.budget is not None else [])


def remaining(ctx: RunContext, frame: Frame) -> Budget | None:
    """What is left to spend here (the tightest ledger), as a child run's budget."""
    around = ledgers(ctx, frame)
    if not around:
        return None
    usd = [b.usd - b.spent_usd - b.reserved_usd for b in around if b.usd is not None]
    tokens = [b.tokens - b.spent_tokens - b.reserved_tokens for b in around if b.tokens]
    run = ctx.state.budget
    return Budget(
        usd=round(max(min(usd), 1e-9), 8) if usd else None,
        tokens=max(min(tokens), 1) if tokens else None,
        on_exceed=run.on_exceed if run is not None else "fail",
        escalate_to=ctx.people.budget_escalate_to,
    )


def tighter(own: Budget | None, limit: Budget) -> Budget:
    """``limit``, lowered where the child's own budget is tighter."""
    if own is None:
        return limit

    def low(a: float | None, b: float | None) -> float | None:
        return b if a is None else a if b is None else min(a, b)

    tokens = low(own.tokens, limit.tokens)
    return limit.model_copy(
        update={"usd": low(own.usd, limit.usd), "tokens": int(tokens) if tokens else None}
    )


async def _stop(ctx: RunContext, run: BudgetState, why: str, step_id: str, who: str) -> None:
    """No new calls; wait for the in-flight ones to settle; fail the run."""
    if run.exhausted is None:
        run.exhausted = f"run budget exhausted at step {step_id!r} ({who}): {why}"
        ctx.state.flags.append(run.exhausted)
    await workflow.wait_condition(lambda: not _holding(run))
    raise failure(
        f"{run.exhausted}; in-flight calls settled: spent ${run.spent_usd:.6f}, "
        f"{run.spent_tokens} tokens in {run.calls} calls",
        BudgetExceeded,
        step=step_id,
    )


async def _ask(
    ctx: RunContext,
    run: BudgetState,
    why: str,
    step_id: str,
    who: str,
    usd: float,
    tokens: int,
) -> str:
    """One open budget request at a time; concurrent calls wait on the same one."""
    request = ctx.people.budget_request
    if request is None or request.status != "open":
        request = open_request(
            ctx,
            "budget",
            step_id,
            title=f"Run budget exceeded at step {step_id!r} ({who})",
            details={
                "why": why,
                "usd": run.usd,
                "tokens": run.tokens,
                "spent_usd": run.spent_usd,
                "spent_tokens": run.spent_tokens,
                "needed_usd": round(run.spent_usd + run.reserved_usd + usd, 8),
                "needed_tokens": run.spent_tokens + run.reserved_tokens + tokens,
            },
        )
        ctx.people.budget_request = request
        decision = await wait_for_decision(ctx, request, [(ctx.people.budget_escalate_to, None)])
    else:
        await workflow.wait_condition(lambda: request.status != "open")
        decision = request.decision
    if decision is None:  # withdrawn (the call that opened it was cancelled): ask again
        return "retry"
    return _apply(ctx, run, request, step_id)


def _apply(ctx: RunContext, run: BudgetState, request: HumanRequest, step_id: str) -> str:
    decision = request.decision
    assert decision is not None
    who = f"{decision.by} ({decision.channel})"
    if decision.outcome == "abort":
        reason = f": {decision.comment}" if decision.comment else ""
        raise failure(
            f"run aborted by {decision.by} when the budget ran out at step {step_id!r}{reason}",
            RunAborted,
            step=step_id,
        )
    if decision.outcome == "raise" and decision.budget is not None:
        if decision.budget.usd is not None and run.usd != decision.budget.usd:
            run.history.append(f"usd limit {run.usd} → {decision.budget.usd} by {who}")
            run.usd = decision.budget.usd
        if decision.budget.tokens is not None and run.tokens != decision.budget.tokens:
            run.history.append(f"tokens limit {run.tokens} → {decision.budget.tokens} by {who}")
            run.tokens = decision.budget.tokens
        return "raise"
    note = f"call at step {step_id!r} allowed over budget by {who}"
    if note not in run.history:
        run.history.append(note)
        ctx.state.flags.append(f"budget exceeded; {note}")
    return "continue"
