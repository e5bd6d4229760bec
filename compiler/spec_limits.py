"""What a spec allows a run or a step: ``budget:`` (run and step), ``deadline:`` and
``history:`` (when a long run continues as new); ``compiler.limits`` turns them into the
plan's limits."""

from __future__ import annotations

from typing import Any, Literal

from podium.compiler.entries import Duration, Strict, check_duration
from pydantic import Field, field_validator, model_validator


class StepBudgetEntry(Strict):
    """``budget:`` on a step: a cap on what it (and everything inside it) may spend."""

    usd: float | None = Field(None, gt=0, description="USD the step may spend.")
    tokens: int | None = Field(None, gt=0, description="Tokens (in + out) the step may use.")

    @model_validator(mode="after")
    def _some_limit(self) -> StepBudgetEntry:
        if self.usd is None and self.tokens is None:
            raise ValueError("a budget needs usd, tokens or both")
        return self


class BudgetEntry(StepBudgetEntry):
    """``budget:`` of a run."""

    on_exceed: Literal["fail", "escalate"] = Field(
        "fail", description="fail the run, or escalate to a person (raise / continue / abort)."
    )
    escalate_to: list[str] = Field(
        default_factory=list, description="With on_exceed: escalate — who decides."
    )


class DeadlineEntry(Strict):
    """``deadline:`` — a duration (``2h``) or this mapping."""

    after: Duration = Field(description="How long after the start the deadline falls.")
    on_breach: Literal["fail", "escalate", "notify"] = Field(
        "fail", description="fail; escalate to a person; or notify the webhooks and go on."
    )
    escalate_to: list[str] = Field(default_factory=list)

    _durations = field_validator("after")(check_duration)


def deadline_shorthand(value: Any) -> Any:
    """``deadline: 2h`` as ``deadline: {after: 2h}`` (a validator run before the model's)."""
    if isinstance(value, str | int | float):
        check_duration(value)
        return {"after": value}
    return value


class HistoryEntry(Strict):
    """``history:`` — when a long run continues as new (between steps)."""

    max_events: int = Field(
        10_000, ge=500, le=50_000, description="Events in one run's history (Temporal: 51,200)."
    )
    max_mb: float = Field(10, gt=0, le=45, description="MB of one run's history (Temporal: 50 MB).")
