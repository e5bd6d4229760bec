"""Contracts of the memory activities: what a step reads and writes (durable: fields may be
added, optional, never renamed or removed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from podium.activities.contract_base import Contract
from pydantic import Field


class Remembered(Contract):
    """One fact as a step's agent receives it (in its input ``memory``), with where it
    came from."""

    fact: Any
    run: str
    """The run (workflow id) that wrote it."""
    step: str
    """The step that wrote it (``map[3]``-style labels for nested steps)."""
    at: datetime
    """When it was written."""
    expires: datetime | None = None


class MemoryReadRequest(Contract):
    """Read a subject's facts: the newest, or those best matching ``search``."""

    subject: str
    limit: int = Field(5, ge=1)
    search: str | None = None
    """Text whose words the facts should hold (None or empty: the newest)."""
    run_id: str = ""
    step: str = ""


class MemoryReadResult(Contract):
    """What a read found (recorded in the run's history: a replay reads it from there)."""

    facts: list[Remembered] = Field(default_factory=list)
    searched: bool = False
    """True when the facts were chosen by ``search``."""


class MemoryWriteRequest(Contract):
    """Keep one fact about a subject."""

    subject: str
    fact: Any
    write_key: str
    """``<workflow id>/<step>/<8 hex>``: one per step execution, the same for every retry
    and replay of its write, so the fact is kept once."""
    run_id: str
    step: str
    written_at: datetime
    run_started: datetime
    """When the run's first execution started: a subject forgotten since gets nothing."""
    ttl_s: float | None = None
    """Forgotten this long after it was written (None: kept until forgotten)."""


class MemoryWriteResult(Contract):
    """What became of a write."""

    outcome: Literal["written", "already written", "forgotten"]
