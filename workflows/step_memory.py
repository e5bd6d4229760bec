"""A step's ``memory`` in the plan: whose facts (the subject expression, the spec's or the
step's own), what its agent reads and what it keeps (docs/memory.md). Compiled by
``compiler.memory``; run by ``workflows.steps.memory``."""

from __future__ import annotations

from podium.activities.contract_base import Contract
from pydantic import Field


class MemoryRead(Contract):
    """Facts the step's agent receives as its input ``memory`` (newest first, or best
    matching ``search``)."""

    limit: int = Field(5, ge=1)
    search: str | None = None
    """Expression giving the text to search by (None: the newest)."""


class MemoryWrite(Contract):
    """A fact kept once the step has completed."""

    fact: str
    """Expression over the run state, the step's own output included."""
    ttl_s: float | None = None
    """Dropped this long after it was written (None: kept until forgotten)."""


class StepMemory(Contract):
    """What a step reads from and writes to memory."""

    subject: str
    """Expression naming whose facts (a customer, a vendor, a market); an empty or null
    value means no memory for that execution of the step."""
    read: MemoryRead | None = None
    write: MemoryWrite | None = None
