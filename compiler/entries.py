"""What every catalog and spec entry shares: strict models (unknown keys are errors),
durations, and the retry policy of a call."""

from __future__ import annotations

from podium.activities.retry_settings import DEFAULT_MAX_ATTEMPTS
from podium.workflows.durations import parse_duration
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Spec-language base: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


Duration = str | int | float


def check_duration(value: Duration | None) -> Duration | None:
    """``value`` unchanged if it is a valid duration (``30s``, ``2h``, seconds); raises
    otherwise (a validator for duration fields)."""
    if value is not None:
        parse_duration(value)
    return value


class RetryEntry(Strict):
    """Retry policy of an agent call."""

    max_attempts: int = Field(
        DEFAULT_MAX_ATTEMPTS,
        ge=1,
        le=100,
        description="Provider attempts per call (a worker crash spends none).",
    )
    initial_interval: Duration = "1s"
    backoff: float = Field(2.0, ge=1.0)
    max_interval: Duration = "30s"
    max_elapsed: Duration | None = Field(
        "10m", description="Total time cap of one call, every attempt and wait included."
    )

    _durations = field_validator("initial_interval", "max_interval", "max_elapsed")(check_duration)
