"""``memory:`` in a spec: whose facts a run keeps (at the top) and what a step reads and
writes (on the step). ``compiler.memory`` checks them and makes the plan's
``workflows.step_memory.StepMemory``; docs/memory.md tells the story.

    memory: {subject: input.customer, ttl: 365d}     # the spec: whose facts, kept how long
    steps:
      - id: reply
        agent: reply-writer
        memory:
          read: {limit: 3, search: input.message}    # its agent gets input `memory`
          write: {fact: steps.reply.output}          # kept after the step completes
"""

from __future__ import annotations

from podium.compiler.entries import Duration, Strict, check_duration
from pydantic import Field, field_validator, model_validator


class MemoryEntry(Strict):
    """``memory:`` at the top of a spec."""

    subject: str = Field(
        description="Expression over the run input naming whose facts these are "
        "(input.customer, input.vendor, input.market); a run where it is empty or null "
        "reads and keeps nothing."
    )
    ttl: Duration | None = Field(
        None,
        description="Facts written are dropped this long after (default: kept until forgotten).",
    )

    _durations = field_validator("ttl")(check_duration)


class MemoryReadEntry(Strict):
    """``memory: read:`` — which facts the step's agent receives as its input ``memory``."""

    limit: int = Field(5, ge=1, le=100, description="At most this many facts.")
    search: str | None = Field(
        None,
        description="Expression giving a text: the facts sharing most of its words come "
        "first (default: the newest first).",
    )


class MemoryWriteEntry(Strict):
    """``memory: write:`` — a fact kept once the step has completed."""

    fact: str = Field(
        description="Expression: what to remember (it may read this step's own output)."
    )
    ttl: Duration | None = Field(None, description="Overrides the spec's ttl for this fact.")

    _durations = field_validator("ttl")(check_duration)


class StepMemoryEntry(Strict):
    """``memory:`` on a step: ``read:`` (agent steps), ``write:`` (any step), or both."""

    subject: str | None = Field(
        None,
        description="Expression naming the subject here (e.g. vars.vendor in a map), "
        "instead of the spec's.",
    )
    read: MemoryReadEntry | None = Field(
        None, description="{limit, search}: the facts its agent receives as input memory."
    )
    write: MemoryWriteEntry | None = Field(
        None, description="{fact, ttl}: a fact kept once the step has completed."
    )

    @model_validator(mode="after")
    def _something(self) -> StepMemoryEntry:
        if self.read is None and self.write is None:
            raise ValueError("memory: on a step needs read:, write: or both")
        return self
