"""Contracts of a provider's limiter workflow (``workflows/limiter.py``): what workers ask
it and what it answers. Here, beside the activities that send them, because activities
must not import workflow code."""

from __future__ import annotations

from datetime import datetime

from podium.activities.contracts import Contract
from pydantic import Field

LIMITER_WORKFLOW = "PodiumTokenLimiter"


def limiter_id(provider: str) -> str:
    """Workflow id of ``provider``'s limiter."""
    return f"podium-limits-{provider}"


class LimiterState(Contract):
    """The limits and the schedules, carried across continue-as-new."""

    provider: str
    tokens_per_minute: int | None = None
    burst: int = 0
    requests_per_second: float | None = None
    token_tat: datetime | None = None
    """Theoretical arrival time of the token schedule (the bucket is full when it is past)."""
    request_tat: datetime | None = None
    """Earliest time the next request may be sent."""
    granted_total: int = 0
    """Tokens granted over the limiter's life (plus usage beyond the leases)."""


class LeaseRequest(Contract):
    """What one request asks for, and the provider's limits as the caller knows them."""

    tokens: int = Field(ge=0)
    tokens_per_minute: int | None = Field(None, gt=0)
    burst: int | None = None
    requests_per_second: float | None = Field(None, gt=0)
    who: str = ""


class LeaseBatch(Contract):
    """Requests of one worker process gathered into one Update (booked in order)."""

    requests: list[LeaseRequest]


class Lease(Contract):
    """A booked slot: send the request at ``granted_at`` (not before)."""

    tokens: int
    granted_at: datetime
    waited_s: float
    """How long after asking the slot is."""


class Settlement(Contract):
    """What a leased call really used."""

    leased: int
    used: int


class Grant(Contract):
    """One grant, as shown by the ``recent`` query."""

    at: datetime
    tokens: int
    waited_s: float
    who: str = ""
