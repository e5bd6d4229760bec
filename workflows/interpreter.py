"""``PodiumRun``: the one workflow that runs any compiled ``Plan``.

Top-level steps form a DAG: each starts once the steps it needs have finished (by
default, the previous step), so independent work runs in parallel and a fast branch's
downstream step never waits for a slow sibling.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from podium.activities.errors import ExpressionFailed, StepFailed
from podium.activities.payloads.limits import run_uses_store
from podium.workflows import search_attributes as sa
from podium.workflows.events import RunEvents, RunStream
from podium.workflows.expressions import evaluate
from podium.workflows.frame import Frame
from podium.workflows.gates import gates
from podium.workflows.humans import (
    RUN_SCOPE,
    DecisionInput,
    DecisionRecord,
    RejectedAttempt,
    apply_decision,
    check_decision,
)
from podium.workflows.metrics import count_run
from podium.workflows.plan import Node, Plan, RunCarry, RunInput, tracked
from podium.workflows.run_context import HandOver, People, RunContext
from podium.workflows.state import BudgetState, RunResult, RunState, StepState
from podium.workflows.steps.deadline import within_deadline
from podium.workflows.steps.execute import execute
from podium.workflows.steps.goto import goto_target, jump
from podium.workflows.steps.saga import compensate
from podium.workflows.steps.support import ensure_fits
from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

WORKFLOW_NAME = "PodiumRun"
CONTINUE_AS_NEW_PATCH = "podium-continue-as-new"
COST_SHOWN_PATCH = "podium-cost-shown-every-10s"
"""Patch: a running run's PodiumCostUsd is upserted at most every ``COST_SHOW_S`` (and
when it starts or stops waiting for people, and at the end), not after every call: each
upsert is a visibility write on the server, which a peak pays for every run."""
COST_SHOW_S = 10.0


class _ContinueAsNew(Exception):
    """Raised out of the step scheduler once the run should continue as new."""


@workflow.defn(name=WORKFLOW_NAME)
class PodiumRun:
    """Interpret a plan, keeping a queryable run state."""

    @workflow.init
    def __init__(self, run: RunInput) -> None:
        plan = run.plan
        if run.carry is not None:  # a run continued as new: go on where it stopped
            self.state = run.carry.state
        else:
            self.state = RunState(
                spec=plan.name,
                steps=[
                    StepState(
                        id=n.id, kind=n.kind, agent=getattr(getattr(n, "agent", None), "name", "")
                    )
                    for n in tracked(plan.steps)
                ],
                warnings=list(plan.warnings),
            )
        self.plan = plan
        self.state.priority = _priority_text(workflow.info().priority)
        self.stream = RunStream(run.carry.events if run.carry is not None else None)
        self.ctx = RunContext(
            self.state,
            People(notify_urls=list(plan.notify), on_changed=self._sync_humans),
            events=RunEvents(self.stream, follow=run.follow, open_requests=self.state.requests),
        )
        if plan.approve_side_effects:  # checked again right before each effect
            self.ctx.gates = gates(plan.steps, plan.effect_approvers)
        if run.carry is not None:
            self.ctx.saga = run.carry.saga_entries()
            self.ctx.finished = sum(
                s.status not in ("pending", "running") for s in self.state.steps
            )
        if plan.budget is not None:
            if self.state.budget is None:
                self.state.budget = BudgetState(
                    usd=plan.budget.usd, tokens=plan.budget.tokens, on_exceed=plan.budget.on_exceed
                )
            self.ctx.people.budget_escalate_to = list(plan.budget.escalate_to)
        self._continuing = False
        """Past the history limits: start no more steps, then continue as new."""
        top = {n.id for n in plan.steps}
        self.ctx.hand_over = lambda step_id: step_id in top and self._history_full()
        self._humans_shown: tuple[bool, tuple[str, ...]] = (False, ())
        self._cost_shown = 0.0
        self._cost_shown_at: datetime | None = None
        self._details = ""

    @workflow.run
    async def run(self, run: RunInput) -> RunResult:
        """Run every step as its dependencies allow; return the output and final state."""
        run_uses_store(run.payload_store)  # this run's decision, not the process's
        self.ctx.payload_store = run.payload_store
        frame = Frame.of_run(run.input)
        if run.carry is None:
            self.state.started_at = workflow.now()
            self.ctx.events.publish("run.started", spec=run.plan.name, steps=len(self.state.steps))
        else:
            frame.steps.update(run.carry.steps)
            self._sync_humans()
        try:
            try:
                work = self._run_dag(run.plan.steps, frame, self.ctx)
                if run.plan.deadline is None or (run.carry is not None and self.state.breached):
                    await work  # (a breach handled before the hand-over is not raised again)
                else:
                    due = self.state.deadline_at
                    if due is None or run.carry is None:
                        due = workflow.now() + timedelta(seconds=run.plan.deadline.after_s)
                    self.state.deadline_at = due
                    await within_deadline(run.plan.deadline, due, work, self.ctx, RUN_SCOPE, None)
            except _ContinueAsNew:  # failures or a cancel during the hand-over: handled below
                await self._continue_as_new(run, frame)
            output = self._output(run.plan, frame.data)
            ensure_fits(
                RunResult(output=output, state=self.state),
                None,
                "the run's result (its output and every step's output)",
            )
        except ApplicationError as exc:
            await self._undo()
            self._close("failed", error=exc.message, error_type=exc.type)
            await self._release_subscribers()
            # the spend travels with the failure (a parent rolls it up)
            spent = {"usage": self.state.usage.model_dump(), "cost_usd": self.state.cost_usd}
            raise ApplicationError(
                exc.message,
                *exc.details,
                {"podium_spend": spent},
                type=exc.type,
                non_retryable=True,
            ) from None
        except asyncio.CancelledError:  # cancelled from the CLI or Web UI
            await self._undo()
            self._close("cancelled", error="cancelled")
            raise
        self._close("completed", output=output)
        await self._release_subscribers()
        return RunResult(output=output, state=self.state)

    @workflow.update(name="decide")
    def decide(self, decision: DecisionInput) -> DecisionRecord:
        """A person's decision on an open request (``podium approve`` / ``podium resolve``)."""
        request = next(r for r in self.state.requests if r.id == decision.request_id)
        return apply_decision(request, decision, "update", workflow.now())

    @decide.validator
    def _check_decide(self, decision: DecisionInput) -> None:
        # Runs before anything is written to history: a refused decision changes nothing.
        reason = check_decision(self.state.requests, decision)
        if reason is not None:
            raise ValueError(reason)

    @workflow.signal(name="decision")
    def decision_signal(self, payload: Any) -> None:
        """The same decision as one JSON payload (Temporal CLI / Web UI); never fails the run."""
        fields = payload if isinstance(payload, dict) else {}
        by, request_id = str(fields.get("by", "?")), str(fields.get("request_id", "?"))
        try:
            decision = DecisionInput.model_validate(payload)
            reason = check_decision(self.state.requests, decision)
            if reason is None:
                request = next(r for r in self.state.requests if r.id == decision.request_id)
                apply_decision(request, decision, "signal", workflow.now())
                return
        except ValidationError as exc:
            reason = "malformed decision: " + "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in exc.errors()[:5]
            )
        except Exception as exc:  # whatever arrives, a signal must not fail the run
            reason = f"decision could not be applied: {exc}"
        attempt = RejectedAttempt(
            at=workflow.now(),
            by=by,
            outcome=str(fields.get("outcome", "?")),
            channel="signal",
            reason=reason,
        )
        self.state.rejected_signals.append(attempt)
        for request in self.state.requests:
            if request.id == request_id:
                request.history.append(
                    f"{attempt.at:%Y-%m-%dT%H:%M:%SZ} refused signal from {by}: {reason}"
                )
        workflow.logger.warning("refused decision signal: %s", reason)

    @workflow.query(name="status")
    def status(self) -> RunState:
        """The run's current state (steps, outputs, usage, cost, flags)."""
        return self.state

    async def _run_dag(self, nodes: list[Node], frame: Frame, ctx: RunContext) -> None:
        """Start each node once its needs are satisfied; fail fast on the first failure;
        follow an answer's ``goto`` (dynamic control) within the step's bounds."""
        waiting = [n for n in nodes if (r := ctx.find(n.id)) is None or r.status == "pending"]
        running: list[asyncio.Task[Any]] = []  # a list: cancel in creation order on replay too
        started: dict[asyncio.Task[Any], Node] = {}
        try:
            while waiting or running:
                if waiting and self._history_full():
                    if not running:  # every started step has finished: hand over
                        raise _ContinueAsNew()
                    ready: list[Node] = []  # start nothing new; let the running ones finish
                else:
                    ready = [n for n in waiting if self._ready(n, ctx)]
                for node in ready:
                    waiting.remove(node)
                    task = asyncio.create_task(execute(node, frame, ctx))
                    running.append(task)
                    started[task] = node
                if waiting and not running and not self._continuing:
                    blocked = ", ".join(f"{n.id} (needs {', '.join(n.needs)})" for n in waiting)
                    raise ApplicationError(
                        f"steps can never start, a step they need failed or never ran: {blocked}",
                        type=StepFailed.__name__,
                        non_retryable=True,
                    )
                self._show()
                seen = ctx.finished

                def progressed(seen: int = seen) -> bool:
                    return ctx.finished != seen or any(t.done() for t in running)

                await workflow.wait_condition(progressed)
                for task in [t for t in running if t.done()]:
                    running.remove(task)
                    if isinstance(task.exception(), HandOver):  # resumed by the next run
                        waiting.insert(0, started.pop(task))
                        continue
                    if task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
                    node = started.pop(task)
                    target = goto_target(node, frame)
                    if target is not None:
                        waiting = jump(node, target, nodes, waiting, frame, ctx)
        finally:
            for task in running:
                task.cancel()

    def _history_full(self) -> bool:
        """Whether to continue as new before starting more steps: the server suggests it,
        or the history is past the plan's limits. Runs that started before this existed
        never do (``workflow.patched``), so their histories replay unchanged."""
        if self._continuing:
            return True
        info = workflow.info()
        limits = self.plan.history
        if (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= limits.max_events
            or info.get_current_history_size() >= limits.max_bytes
        ) and workflow.patched(CONTINUE_AS_NEW_PATCH):
            self._continuing = True
        return self._continuing

    async def _continue_as_new(self, run: RunInput, frame: Frame) -> None:
        """Hand the run over to a fresh run of the same workflow id (never returns)."""
        info = workflow.info()
        self.state.continued += 1
        self.state.current = []
        self.state.flags.append(
            f"continued as new ({self.state.continued}) after "
            f"{info.get_current_history_length():,} events, "
            f"{info.get_current_history_size() / 1024 / 1024:.1f} MB of history"
        )
        self.ctx.events.publish("run.continued", text=self.state.flags[-1])
        self.stream.detach_pollers()  # (subscribers follow the chain to the next run)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.ctx.people.background:  # webhook notifications still being sent
            await asyncio.gather(*self.ctx.people.background, return_exceptions=True)
        carry = RunCarry.of(self.ctx, frame)
        carry.events = self.stream.carried()
        following = RunInput(
            plan=run.plan,
            input=run.input,
            carry=carry,
            payload_store=run.payload_store,
            follow=run.follow,
        )
        ensure_fits(following, None, "what the run carries into its next run (continue-as-new)")
        workflow.continue_as_new(following, search_attributes=info.typed_search_attributes)

    async def _release_subscribers(self) -> None:
        """Let the subscribers waiting on the stream take its last events before the run
        closes (they then read what is left from the closed run)."""
        self.stream.detach_pollers()
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _undo(self) -> None:
        """Compensate completed side-effecting steps (in a fresh task: it must run even
        when this one was cancelled)."""
        if self.ctx.saga:
            self.state.current = ["compensating"]
            self._show("compensating completed steps")
            await asyncio.create_task(compensate(self.ctx))

    @staticmethod
    def _ready(node: Node, ctx: RunContext) -> bool:
        return all((rec := ctx.find(dep)) is None or rec.satisfied() for dep in node.needs)

    def _sync_humans(self) -> None:
        """Keep PodiumNeedsHuman / PodiumWaitingOn / PodiumStatus and the details current."""
        waiting = self.state.open_requests()
        # lower-cased: approvers are matched case-insensitively, visibility queries are not
        who = tuple(sorted({a.lower() for r in waiting for a in (r.approvers or ["anyone"])}))
        self.ctx.events.requests_changed(self.state.requests)
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
        self._show()

    def _output(self, plan: Plan, scope: dict[str, Any]) -> Any:
        try:
            if isinstance(plan.output, dict):
                return {key: evaluate(expr, scope) for key, expr in plan.output.items()}
            return evaluate(plan.output, scope) if plan.output else None
        except Exception as exc:  # JMESPath runtime error: fail the run, not the task
            raise ApplicationError(
                f"output expression could not be evaluated: {exc}",
                type=ExpressionFailed.__name__,
                non_retryable=True,
            ) from None

    def _close(
        self,
        status: str,
        error: str | None = None,
        error_type: str | None = None,
        output: Any = None,
    ) -> None:
        for request in self.state.open_requests():  # nobody can answer a finished run
            request.status = "cancelled"
        self.state.status = status  # type: ignore[assignment]
        self.state.current = []
        self.state.error = error
        self.state.finished_at = workflow.now()
        workflow.upsert_search_attributes(
            [
                sa.STATUS.value_set(status),
                sa.COST_USD.value_set(self.state.cost_usd),
                sa.NEEDS_HUMAN.value_set(False),
            ]
        )
        self._show(status if error is None else f"failed: {error}")
        count_run(self.state.spec, status)
        self.ctx.events.publish(
            "run.ended",
            text=error,
            status=status,
            error_type=error_type,
            output=output,
            cost_usd=self.state.cost_usd,
            tokens=self.state.usage.total_tokens,
        )

    def _show(self, headline: str | None = None) -> None:
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


def _priority_text(priority: Any) -> str | None:
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
