"""``PodiumRun``: the one workflow that runs any compiled ``Plan``.

Top-level steps form a DAG: each starts once the steps it needs have finished (by
default, the previous step), so independent work runs in parallel and a fast branch's
downstream step never waits for a slow sibling.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from podium.activities.errors import ExpressionFailed, StepFailed
from podium.activities.payloads.limits import run_uses_store
from podium.workflows.continue_as_new import ContinueAsNew, HistoryWatch, continue_as_new
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
from podium.workflows.metrics import count_run, observe_run
from podium.workflows.plan import Node, Plan, RunInput, tracked
from podium.workflows.run_context import HandOver, People, RunContext
from podium.workflows.run_display import RunDisplay, priority_text
from podium.workflows.state import BudgetState, RunResult, RunState, StepState
from podium.workflows.steps.deadline import within_deadline
from podium.workflows.steps.execute import execute
from podium.workflows.steps.goto import goto_target, jump
from podium.workflows.steps.saga import compensate
from podium.workflows.steps.spend_desk import open_desk
from podium.workflows.steps.support import ensure_fits
from pydantic import ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

WORKFLOW_NAME = "PodiumRun"


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
        self.state.priority = priority_text(workflow.info().priority)
        self.stream = RunStream(run.carry.events if run.carry is not None else None)
        self.ctx = RunContext(
            self.state,
            People(notify_urls=list(plan.notify), on_changed=self._requests_changed),
            events=RunEvents(self.stream, follow=run.follow, open_requests=self.state.requests),
        )
        self.display = RunDisplay(plan, self.ctx)
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
        self.history = HistoryWatch(plan.history)
        top = {n.id for n in plan.steps}
        self.ctx.hand_over = lambda step_id: step_id in top and self.history.full()

    @workflow.run
    async def run(self, run: RunInput) -> RunResult:
        """Run every step as its dependencies allow; return the output and final state."""
        run_uses_store(run.payload_store)  # this run's decision, not the process's
        self.ctx.payload_store = run.payload_store
        self.ctx.spend = open_desk(self.ctx, run.plan.spend, run.input, run.spend or [])
        frame = Frame.of_run(run.input)
        if run.carry is None:
            self.state.started_at = workflow.now()
            self.ctx.events.publish("run.started", spec=run.plan.name, steps=len(self.state.steps))
        else:
            frame.steps.update(run.carry.steps)
            self._requests_changed()
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
            except ContinueAsNew:  # failures or a cancel during the hand-over: handled below
                await continue_as_new(run, frame, self.ctx, self.stream)
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
                if waiting and self.history.full():
                    if not running:  # every started step has finished: hand over
                        raise ContinueAsNew()
                    ready: list[Node] = []  # start nothing new; let the running ones finish
                else:
                    ready = [n for n in waiting if self._ready(n, ctx)]
                for node in ready:
                    waiting.remove(node)
                    task = asyncio.create_task(execute(node, frame, ctx))
                    running.append(task)
                    started[task] = node
                if waiting and not running and not self.history.continuing:
                    blocked = ", ".join(f"{n.id} (needs {', '.join(n.needs)})" for n in waiting)
                    raise ApplicationError(
                        f"steps can never start, a step they need failed or never ran: {blocked}",
                        type=StepFailed.__name__,
                        non_retryable=True,
                    )
                self.display.show()
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
            self.display.show("compensating completed steps")
            await asyncio.create_task(compensate(self.ctx))

    @staticmethod
    def _ready(node: Node, ctx: RunContext) -> bool:
        return all((rec := ctx.find(dep)) is None or rec.satisfied() for dep in node.needs)

    def _requests_changed(self) -> None:
        """Requests for people opened, escalated or closed: tell the stream's subscribers,
        and show who the run waits on."""
        self.ctx.events.requests_changed(self.state.requests)
        self.display.sync_humans()

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
        self.display.closed(status)
        self.display.show(status if error is None else f"failed: {error}")
        count_run(self.state.spec, status)
        observe_run(self.state)
        self.ctx.events.publish(
            "run.ended",
            text=error,
            status=status,
            error_type=error_type,
            output=output,
            cost_usd=self.state.cost_usd,
            tokens=self.state.usage.total_tokens,
        )
