"""Contracts of a provider's limiter workflow (``workflows/limiter.py``): what workers ask
it and what it answers. Here, beside the activities that send them, because activities
must not import workflow code."""

from __future__ import annotations

from datetime import datetime

from podium.activities.contract_base import Contract
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
    keys: dict[str, FairKey] = Field(default_factory=dict)
    """Fair booking: the requests waiting per fairness key, and each key's share so far."""
    virtual: float = 0.0
    """Fair booking: the virtual time (capacity-seconds per unit of weight) of the last
    request given a slot."""
    ready: dict[str, list[FairLease]] = Field(default_factory=dict)
    """Fair booking: slots given to waiting requests, per asking worker, until it collects
    them."""
    owners: dict[str, datetime] = Field(default_factory=dict)
    """Fair booking: when each asking worker was last heard from."""


class LeaseRequest(Contract):
    """What one request asks for, and the provider's limits as the caller knows them."""

    tokens: int = Field(ge=0)
    tokens_per_minute: int | None = Field(None, gt=0)
    burst: int | None = None
    requests_per_second: float | None = Field(None, gt=0)
    who: str = ""


class FairRequest(LeaseRequest):
    """A request to the fair booking (``request``): also its id and its run's fairness.
    (``LeaseRequest`` and ``Lease`` stay as they were: the ``acquire`` Update of workers
    deployed before fair booking still sends and reads them.)"""

    ticket: str = ""
    """The request's id, unique within its worker."""
    fairness_key: str = ""
    """The run's fairness key (tenant, market); "" for runs without one."""
    weight: float = Field(1.0, gt=0)
    """The run's fairness weight."""


class LeaseBatch(Contract):
    """Requests of one worker process gathered into one Update (booked in order)."""

    requests: list[LeaseRequest]


class Lease(Contract):
    """A booked slot: send the request at ``granted_at`` (not before)."""

    tokens: int
    granted_at: datetime
    waited_s: float
    """How long after asking the slot is."""


class FairLease(Lease):
    """A slot of the fair booking, with the request it answers."""

    ticket: str = ""


class FairBatch(Contract):
    """One worker's Update to the fair booking: its new requests, the ones it gave up
    (cancelled calls), and a request for the slots given to its waiting ones."""

    owner: str
    requests: list[FairRequest] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list)
    acked: list[str] = Field(default_factory=list)
    """Tickets whose slots the worker has received (the limiter stops resending them)."""


class FairAnswer(Contract):
    """The slots given to the worker's requests and not yet acknowledged, and whether the
    limiter did not know the worker (new, or forgotten after a silence: it must ask again
    for every request still waiting)."""

    leases: list[FairLease] = Field(default_factory=list)
    forgotten: bool = False


class Waiting(Contract):
    """One request waiting for a slot, in the limiter's state."""

    ticket: str
    owner: str
    tokens: int
    asked_at: datetime
    who: str = ""


class FairKey(Contract):
    """One fairness key's queue and virtual finish time."""

    weight: float = 1.0
    finish: float = 0.0
    queue: list[Waiting] = Field(default_factory=list)


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


LimiterState.model_rebuild()  # (it names FairKey and Lease, defined after it)
