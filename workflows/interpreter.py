"""``PodiumRun``: the one workflow that runs any compiled ``Plan``.

Top-level steps form a DAG: each starts once the steps it needs have finished (by
default, the previous step), so independent work runs in parallel and a fast branch's
downstream step never waits for a slow sibling.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.expressions import evaluate
    from workflows.plan import Node, Plan, RunInput, tracked
    from workflows.state import RunResult, RunState, StepState

from workflows.steps.all import Ctx, execute

WORKFLOW_NAME = "PodiumRun"


@workflow.defn(name=WORKFLOW_NAME)
class PodiumRun:
    """Interpret a plan, keeping a queryable run state."""

    @workflow.init
    def __init__(self, run: RunInput) -> None:
        plan = run.plan
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
        self.ctx = Ctx(self.state)
        self._details = ""

    @workflow.run
    async def run(self, run: RunInput) -> RunResult:
        """Run every step as its dependencies allow; return the output and final state."""
        self.state.started_at = workflow.now()
        scope: dict[str, Any] = {"input": run.input, "steps": {}, "vars": {}}
        try:
            await self._run_dag(run.plan.steps, scope, self.ctx)
            output = self._output(run.plan, scope)
        except ApplicationError as exc:
            self._close("failed", error=exc.message)
            raise
        self._close("completed")
        return RunResult(output=output, state=self.state)

    @workflow.query(name="status")
    def status(self) -> RunState:
        """The run's current state (steps, outputs, usage, cost, flags)."""
        return self.state

    async def _run_dag(self, nodes: list[Node], scope: dict[str, Any], ctx: Ctx) -> None:
        """Start each node once its needs have finished; fail fast on the first failure."""
        waiting = list(nodes)
        running: set[asyncio.Task[Any]] = set()
        try:
            while waiting or running:
                for node in [n for n in waiting if self._ready(n, ctx)]:
                    waiting.remove(node)
                    running.add(asyncio.create_task(execute(node, scope, ctx)))
                self._show()
                seen = ctx.finished
                await workflow.wait_condition(
                    lambda seen=seen: ctx.finished != seen or any(t.done() for t in running)
                )
                for task in [t for t in running if t.done()]:
                    running.discard(task)
                    if task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
        finally:
            for task in running:
                task.cancel()

    @staticmethod
    def _ready(node: Node, ctx: Ctx) -> bool:
        return all((rec := ctx.find(dep)) is None or rec.finished() for dep in node.needs)

    def _output(self, plan: Plan, scope: dict[str, Any]) -> Any:
        try:
            if isinstance(plan.output, dict):
                return {key: evaluate(expr, scope) for key, expr in plan.output.items()}
            return evaluate(plan.output, scope) if plan.output else None
        except Exception as exc:  # JMESPath runtime error: fail the run, not the task
            raise ApplicationError(
                f"output expression could not be evaluated: {exc}",
                type="ExpressionFailed",
                non_retryable=True,
            ) from None

    def _close(self, status: str, error: str | None = None) -> None:
        self.state.status = status  # type: ignore[assignment]
        self.state.current = []
        self.state.error = error
        self.state.finished_at = workflow.now()
        workflow.upsert_search_attributes(
            [sa.STATUS.value_set(status), sa.COST_USD.value_set(self.state.cost_usd)]
        )
        self._show(status if error is None else f"failed: {error}")

    def _show(self, headline: str | None = None) -> None:
        state = self.state
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
        if details != self._details:  # only when something a reader sees changed
            self._details = details
            workflow.set_current_details(details)
