"""An agent step's tool loop, durably: model → tool calls → results → model, until the
model answers or ``max_turns`` (the last turn offers no tools, so the model must answer).

Every model turn is one ``call_agent`` (its own retries, repair included); every tool call
is its own ``run_tool`` activity with the tool's timeout and retry policy and the
idempotency key ``<run>/<step>/<turn>/<call>``, so a worker killed mid-loop repeats no
completed call (its result is in the history). The calls of one turn run concurrently.
Arguments that fail the tool's schema, an unknown tool, a tool that stays unavailable or
a person declining a side-effecting call go back to the model as the tool's answer
(``{"error": …}``); more than ``MAX_REFUSED`` such answers in one step fail it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from podium.activities.contracts import AgentConfig, AgentResult, FailureDetails, Usage
from podium.activities.error_types import SCHEMA_ERROR_TYPES
from podium.activities.errors import StepFailed, ToolNotConfigured
from podium.activities.providers.prompt import repair_messages
from podium.activities.retry_settings import RetrySettings
from podium.activities.tool_contracts import ToolCall
from podium.activities.validation import schema_errors
from podium.workflows.accuracy import contract_failed, contract_repaired
from podium.workflows.frame import Frame
from podium.workflows.humans import AskedToolCall
from podium.workflows.run_context import RunContext
from podium.workflows.state import StepState, ToolCallRecord, TurnRecord
from podium.workflows.steps.agent_call import call_agent
from podium.workflows.steps.budget import estimate, ledgers, reserve, reserve_amount, settle
from podium.workflows.steps.guard_checks import GUARD_TRIPPED, classify, note_guards
from podium.workflows.steps.saga import undo_tool_call_later
from podium.workflows.steps.support import describe, failure
from podium.workflows.steps.tool_approval import approve_call
from podium.workflows.steps.tool_call import (
    ToolOutcomeUnknown,
    call_tool,
    tool_policy,
    unknown_outcome,
)
from temporalio import workflow
from temporalio.exceptions import ActivityError

TOOL_LOOP_BUDGET = "podium-tool-loop-budget"
"""Patch: tool loops reserve and charge each turn (runs started earlier reserved once)."""
MAX_REFUSED = 5
"""Tool answers that are errors (bad arguments, unknown tool, unavailable, declined) one
step tells its model before it fails: a model that keeps getting it wrong is stopped."""


async def converse(
    agent: AgentConfig,
    inputs: dict[str, Any],
    *,
    step_id: str,
    label: str,
    ctx: RunContext,
    frame: Frame,
    track: bool,
    budgeted: bool = True,
    timeout_s: float | None = None,
    retry: RetrySettings | None = None,
    failed_attempts: list[str] | None = None,
) -> AgentResult:
    """Run the tool loop; return the final answer with the usage and cost of every turn
    (and the tools' prices) added up.

    Each model turn reserves its estimate (the transcript so far included) in the
    budgets around the step and is charged when it answers, and each priced tool call
    reserves its price: a long loop stops at the budget like any sequence of calls, and
    what completed turns spent stays charged when a later turn fails. The run, the step
    (``frame.owner``) and the agent's totals are charged here, turn by turn.

    ``budgeted=False`` (runs started before per-turn budgets, ``TOOL_LOOP_BUDGET``): the
    loop neither reserves nor charges; the caller reserves once for the whole loop and
    charges its totals, as those runs did."""
    owner = frame.owner
    record = owner if track else None
    loop = _Loop(agent, step_id, ctx, frame, record, budgeted)
    messages: list[dict[str, Any]] = []
    usage, cost = Usage(), 0.0
    repairs = agent.repair_attempts
    repairing = False  # the last answer failed its schema and was sent back
    turn = 0
    while turn < agent.max_turns:
        turn += 1
        last = turn == agent.max_turns
        reservation = None
        if loop.budgeted and ledgers(ctx, frame):  # (estimating renders the prompt)
            need = estimate(agent, inputs, None, messages)
            reservation = await reserve(ctx, frame, agent, step_id, need)
        spent = loop.turn(turn)
        try:
            result = await call_agent(
                agent,
                inputs,
                step_id=step_id,
                label=label if turn == 1 else f"{label} · turn {turn}",
                timeout_s=timeout_s,
                retry=retry,
                failed_attempts=failed_attempts,
                messages=list(messages),
                tools_enabled=not last,
                spend=ctx.spend,
            )
        except ActivityError as exc:  # an answer that fails its schema: re-ask in the loop
            error_type, message = describe(exc)
            details = FailureDetails.of(exc)
            billed = details.billed()  # paid for, even though it failed
            settle(reservation, billed, details.cost_usd or 0.0)
            reservation = None
            if billed is not None:
                usage += billed
                cost += details.cost_usd or 0.0
                loop.charge(spent, billed, details.cost_usd or 0.0)
            if error_type in SCHEMA_ERROR_TYPES:
                contract_failed(ctx, agent.name, error_type)
            if error_type not in SCHEMA_ERROR_TYPES or repairs <= 0:
                raise
            repairs -= 1
            repairing = True
            turn -= 1  # a repair is not a turn of its own
            messages += repair_messages(details.content or "", details.errors or [message])
            continue
        else:
            settle(reservation, result.usage, result.cost_usd)
            reservation = None
        finally:  # cancelled before an answer: release the estimate
            settle(reservation, None, 0.0)
        usage += result.usage
        cost += result.cost_usd
        loop.charge(spent, result.usage, result.cost_usd)
        note_guards(ctx, step_id, result.guarded)
        if repairing:
            contract_repaired(ctx, agent.name)
            repairing = False
        if record is not None:
            record.turns = turn
        if not result.tool_calls:
            if last and agent.tools:
                ctx.state.flags.append(
                    f"step {step_id!r}: agent {agent.name!r} used all {agent.max_turns} "
                    "turns (max_turns); its last turn could not call tools"
                )
            total = round(cost + loop.spent, 8)
            return result.model_copy(update={"usage": usage, "cost_usd": total})
        if last:  # asked for tools where none were offered
            raise failure(
                f"step {step_id!r}: agent {agent.name!r} still called tools on its last turn "
                f"({agent.max_turns} = max_turns) instead of answering",
                StepFailed,
                step=step_id,
            )
        messages.append(_assistant(result.tool_calls))
        spent.tool_calls = len(result.tool_calls)
        answers = await _all_or_none(
            [loop.one(call, spent, i, result.text) for i, call in enumerate(result.tool_calls)]
        )
        for call, answer in zip(result.tool_calls, answers, strict=True):
            messages.append({"role": "tool", "tool_call_id": call.id, "content": answer})
    raise AssertionError("unreachable: the last turn returns")


async def _all_or_none(calls: list[Any]) -> list[str]:
    """Run one turn's calls at once; if one fails the step, stop the others (a side
    effect must not complete after the run has started to undo its work)."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _assistant(calls: list[ToolCall]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for c in calls
        ],
    }


class _Loop:
    """One step's tool calls: checks, approval, the activity, the record."""

    def __init__(
        self,
        agent: AgentConfig,
        step_id: str,
        ctx: RunContext,
        frame: Frame,
        record: StepState | None,
        budgeted: bool,
    ) -> None:
        self.agent, self.step_id, self.ctx, self.frame, self.record = (
            agent,
            step_id,
            ctx,
            frame,
            record,
        )
        self.tools = {tool.name: tool for tool in agent.tools}
        self.refused = 0
        self.budgeted = budgeted
        """Reserve every turn's estimate and every tool's price (not in older runs)."""
        self.spent = 0.0
        """The tools' prices so far."""
        self.current: TurnRecord | None = None
        self.nonce = workflow.uuid4().hex[:8]
        """One per loop: a map item, a fallback or a re-run step calls with keys of its own."""
        self.who = (step_id, agent.name)

    def turn(self, number: int) -> TurnRecord:
        """The cost record of turn ``number`` of this loop (kept on the step when it is
        tracked; a repair round adds to its turn's record)."""
        if self.current is not None and self.current.turn == number:
            return self.current
        self.current = TurnRecord(turn=number)
        if self.record is not None:
            self.record.turn_costs.append(self.current)
        return self.current

    def charge(self, spent: TurnRecord, usage: Usage, cost_usd: float) -> None:
        """Charge a model call of the loop (the run, the step, the agent's totals)."""
        spent.input_tokens += usage.input_tokens
        spent.output_tokens += usage.output_tokens
        spent.cost_usd = round(spent.cost_usd + cost_usd, 8)
        if self.budgeted:
            self.ctx.charge_agent(self.frame.owner, self.agent.name, usage, cost_usd)

    async def one(
        self, call: ToolCall, spent: TurnRecord, index: int, reason: str | None = None
    ) -> str:
        """Run one call (``reason``: what the model said beside its calls); the text the
        model reads as its result."""
        turn = spent.turn
        key = f"{workflow.info().workflow_id}/{self.step_id}/{self.nonce}/{turn}/{index}"
        entry = ToolCallRecord(turn=turn, call=index, tool=call.name, key=key)
        if self.record is not None:
            self.record.tool_calls.append(entry)
        started = workflow.now()
        events = self.ctx.events
        events.publish(
            "tool.call", step=self.step_id, text=reason, tool=call.name, arguments=call.arguments
        )
        result = None
        try:
            result = await self._one(call, entry, key, spent, reason)
            return result
        finally:
            entry.duration_ms = (workflow.now() - started).total_seconds() * 1000
            events.publish(
                "tool.result",
                step=self.step_id,
                text=entry.error,
                tool=call.name,
                status=entry.status,
                result=result,
                duration_ms=entry.duration_ms,
            )

    async def _one(
        self,
        call: ToolCall,
        entry: ToolCallRecord,
        key: str,
        spent: TurnRecord,
        reason: str | None,
    ) -> str:
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(self.tools) or "none"
            return self._refuse(entry, f"unknown tool {call.name!r}; this agent may call: {known}")
        try:
            problems = schema_errors(call.arguments, tool.parameters)
        except Exception as exc:  # noqa: BLE001 - a broken schema must not break the run
            return self._refuse(entry, f"the schema of {tool.name!r} is not usable: {exc}")
        if "_invalid" in call.arguments:
            problems = [f"the arguments are not a JSON object: {call.arguments['_invalid']!r}"]
        if problems:
            return self._refuse(
                entry,
                f"the arguments of {tool.name!r} do not match its schema: "
                + "; ".join(problems[:5]),
            )
        if tool.approval is not None:
            asked = AskedToolCall(
                agent=self.agent.name,
                tool=tool.name,
                arguments=call.arguments,
                reason=reason,
                turn=entry.turn,
            )
            declined = await approve_call(self.ctx, self.step_id, tool, asked, entry)
            if declined is not None:
                return self._refuse(entry, declined)
        reservation = None
        if tool.price_usd and self.budgeted:  # its price must fit like a call's estimate
            who = f"tool {tool.name!r} of agent {self.agent.name!r}"
            entry.status = "waiting"
            try:
                reservation = await reserve_amount(
                    self.ctx, self.frame, self.step_id, who, tool.price_usd, 0
                )
            except BaseException:
                entry.status, entry.error = "refused", "over the budget: not called"
                raise
        entry.status = "running"
        try:
            outcome = await call_tool(
                tool,
                call.arguments,
                key=key,
                step_id=self.step_id,
                summary=f"{self.agent.name} · {tool.name}",
                retry=tool_policy(tool.retry),
                total_s=tool.retry.max_elapsed_s,
            )
        except ActivityError as exc:
            settle(reservation, None, 0.0)  # not called: not paid
            error_type, message = describe(exc)
            if error_type == GUARD_TRIPPED:  # its guard withheld the call or its result
                trip = FailureDetails.of(exc).guard
                if trip is not None and trip.check != "input":  # it ran: undo if the run fails
                    undo_tool_call_later(self.ctx, tool, call.arguments, key, *self.who)
                entry.status, entry.error = "refused", message
                raise
            unknown = isinstance(exc, ToolOutcomeUnknown)
            if unknown:  # it may have happened: undone like a completed call if the run fails
                undo_tool_call_later(self.ctx, tool, call.arguments, key, *self.who)
            if error_type == ToolNotConfigured.__name__:  # the worker's setup: fix, not retry
                entry.status, entry.error = "error", message
                raise failure(
                    f"step {self.step_id!r}: {message}", StepFailed, step=self.step_id
                ) from None
            if unknown:
                return self._refuse(entry, unknown_outcome(tool, error_type, message), "unknown")
            entry.status, entry.error = "error", f"{error_type}: {message}"
            return self._refuse(entry, f"tool {tool.name!r} is unavailable: {message}", "error")
        except BaseException:  # cancelled: release what it reserved
            settle(reservation, None, 0.0)
            raise
        settle(reservation, Usage(), tool.price_usd)
        note_guards(self.ctx, self.step_id, outcome.guarded)
        if tool.price_usd:
            self.spent = round(self.spent + tool.price_usd, 8)
            spent.tools_usd = round(spent.tools_usd + tool.price_usd, 8)
            if self.budgeted:
                self.ctx.charge_agent(self.frame.owner, self.agent.name, Usage(), tool.price_usd)
        if outcome.error is not None:
            entry.status, entry.error = "error", outcome.error
            return json.dumps({"error": outcome.error})
        entry.status = "ok"
        undo_tool_call_later(self.ctx, tool, call.arguments, key, *self.who, outcome.content)
        try:  # the guard's classifier agent, if it names one, reads the result first
            owner = self.frame.owner
            await classify(self.ctx, owner, self.agent, tool, outcome.content, self.step_id)
        except ActivityError as exc:
            entry.status, entry.error = "refused", describe(exc)[1]
            raise
        return json.dumps(outcome.content, ensure_ascii=False, default=str)

    def _refuse(self, entry: ToolCallRecord, why: str, status: str = "refused") -> str:
        self.refused += 1
        entry.status = status  # type: ignore[assignment]
        entry.error = why
        if self.refused > MAX_REFUSED:
            raise failure(
                f"step {self.step_id!r}: agent {self.agent.name!r} got {self.refused} tool "
                f"errors (more than {MAX_REFUSED}); the last: {why}",
                StepFailed,
                step=self.step_id,
            )
        return json.dumps({"error": why})
