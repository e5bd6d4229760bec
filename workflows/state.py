"""A run's state: what each step did, and the totals. Returned by the ``status`` query."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from activities.contracts import Contract, Usage

StepStatus = Literal["pending", "running", "completed", "failed", "skipped"]
RunStatus = Literal["running", "completed", "failed"]


class StepState(Contract):
    """One step's progress and outcome."""

    id: str
    agent: str = ""
    status: StepStatus = "pending"
    output: Any = None
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    model: str | None = None
    offline: bool = False
    error: str | None = None
    error_type: str | None = None


class RunState(Contract):
    """Everything a person needs to know about a run while and after it runs."""

    spec: str
    status: RunStatus = "running"
    current: str | None = None
    steps: list[StepState] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)

    def step(self, step_id: str) -> StepState:
        """The state of ``step_id``."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


class RunResult(Contract):
    """The interpreter workflow's result: the run's output plus its final state."""

    output: Any = None
    state: RunState
