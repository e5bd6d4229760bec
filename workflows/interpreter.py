"""``PodiumRun``: the one workflow that runs any compiled ``Plan``."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.expressions import evaluate
    from workflows.plan import Plan, RunInput
    from workflows.state import RunResult, RunState, StepState

from workflows.steps.agent_step import run_agent_step

WORKFLOW_NAME = "PodiumRun"


@workflow.defn(name=WORKFLOW_NAME)
class PodiumRun:
    """Interpret a plan step by step, keeping a queryable run state."""

    @workflow.init
    def __init__(self, run: RunInput) -> None:
        plan = run.plan
        self.state = RunState(
            spec=plan.name,
            steps=[StepState(id=s.id, agent=s.agent.name) for s in plan.steps],
            warnings=list(plan.warnings),
        )

    @workflow.run
    async def run(self, run: RunInput) -> RunResult:
        """Run every step in order; return the output and the final state."""
        plan = run.plan
        self.state.started_at = workflow.now()
        scope: dict[str, Any] = {"input": run.input, "steps": {}, "vars": {}}
        try:
            for step in plan.steps:
                workflow.set_current_details(self._details(plan, f"running **{step.id}**"))
                await run_agent_step(step, scope, self.state)
            output = self._output(plan, scope)
        except ApplicationError as exc:
            self._close("failed", error=exc.message)
            workflow.set_current_details(self._details(plan, f"failed: {exc.message}"))
            raise
        self._close("completed")
        workflow.set_current_details(self._details(plan, "completed"))
        return RunResult(output=output, state=self.state)

    @workflow.query(name="status")
    def status(self) -> RunState:
        """The run's current state (steps, outputs, usage, cost)."""
        return self.state

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
        self.state.current = None
        self.state.error = error
        self.state.finished_at = workflow.now()
        workflow.upsert_search_attributes(
            [sa.STATUS.value_set(status), sa.COST_USD.value_set(self.state.cost_usd)]
        )

    def _details(self, plan: Plan, now: str) -> str:
        done = sum(1 for s in self.state.steps if s.status == "completed")
        return (
            f"**{plan.name}** — {now}\n\n"
            f"steps done: {done}/{len(self.state.steps)} · "
            f"tokens: {self.state.usage.total_tokens} · cost: ${self.state.cost_usd:.4f}"
        )
