"""``PodiumTokenLimiter``: one workflow per provider that leases tokens-per-minute.

Every worker's ``run_agent`` activity asks it (an Update, started with the workflow if
needed) for the estimated tokens of a request before sending it, and tells it (a
Signal) what the call really used afterwards. A token bucket refills at
``tokens_per_minute / 60`` per second up to ``burst`` tokens; requests are served
first come, first served. Because the bucket lives in one workflow, the limit holds
across every worker process polling the provider's queue, and survives restarts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import Contract

LIMITER_WORKFLOW = "PodiumTokenLimiter"
GRANTS_PER_RUN = 500
"""Grants before the limiter continues as new (keeps its history short)."""
IDLE_S = 600.0
"""An idle limiter ends after this; the next request starts a fresh one (bucket full)."""
RECENT = 200


def limiter_id(provider: str) -> str:
    """Workflow id of ``provider``'s limiter."""
    return f"podium-tpm-{provider}"


class LimiterState(Contract):
    """The bucket, carried across continue-as-new."""

    provider: str
    tokens_per_minute: int
    burst: int
    level: float
    at: datetime | None = None
    granted_total: int = 0
    """Tokens granted over the limiter's life (plus usage beyond the leases)."""


class LeaseRequest(Contract):
    """Tokens a request may use (prompt estimate + max output tokens)."""

    tokens: int = Field(ge=0)
    tokens_per_minute: int = Field(gt=0)
    burst: int | None = None
    who: str = ""


class Lease(Contract):
    """A grant: when, and how long the caller waited for it."""

    tokens: int
    granted_at: datetime
    waited_s: float


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


@workflow.defn(name=LIMITER_WORKFLOW)
class PodiumTokenLimiter:
    """A durable token bucket shared by all workers of one provider."""

    @workflow.init
    def __init__(self, state: LimiterState) -> None:
        self.state = state
        self.queue: list[int] = []
        self.tickets = 0
        self.grants = 0
        self.recent: list[Grant] = []

    @workflow.run
    async def run(self, state: LimiterState) -> None:
        """Serve leases; continue as new every ``GRANTS_PER_RUN`` grants; end when idle."""
        while True:
            seen = self.tickets
            try:
                await workflow.wait_condition(
                    lambda: self.grants >= GRANTS_PER_RUN and self._quiet(),
                    timeout=timedelta(seconds=IDLE_S),
                )
            except TimeoutError:
                if self.tickets == seen and self._quiet():
                    return  # idle: the next request starts a fresh limiter
                continue
            self._refill()
            workflow.continue_as_new(self.state)

    def _quiet(self) -> bool:
        return not self.queue and workflow.all_handlers_finished()

    @workflow.update(name="acquire")
    async def acquire(self, request: LeaseRequest) -> Lease:
        """Wait (first come, first served) until the bucket holds ``tokens``; take them."""
        self._adopt(request)
        asked = workflow.now()
        self.tickets += 1
        ticket = self.tickets
        self.queue.append(ticket)
        await workflow.wait_condition(lambda: self.queue[0] == ticket)
        try:
            while True:
                self._refill()
                need = min(request.tokens, self.state.burst)  # a huge request waits for full
                if self.state.level >= need:
                    break
                rate = self.state.tokens_per_minute / 60
                await workflow.sleep(
                    timedelta(seconds=max(0.001, (need - self.state.level) / rate)),
                    summary=f"{request.tokens} tokens for {request.who or 'a call'}",
                )
        finally:
            self.queue.remove(ticket)
        self.state.level -= request.tokens  # may go below zero: later callers wait longer
        self.state.granted_total += request.tokens
        self.grants += 1
        now = workflow.now()
        waited = (now - asked).total_seconds()
        self.recent = [
            *self.recent[-(RECENT - 1) :],
            Grant(at=now, tokens=request.tokens, waited_s=waited, who=request.who),
        ]
        return Lease(tokens=request.tokens, granted_at=now, waited_s=waited)

    @workflow.signal(name="settle")
    def settle(self, settlement: Settlement) -> None:
        """Take what a call used beyond its lease. Nothing is given back when it used less:
        providers count a request's max output tokens against the limit when they get it."""
        extra = settlement.used - settlement.leased
        if extra > 0:
            self._refill()
            self.state.level -= extra
            self.state.granted_total += extra

    @workflow.query(name="bucket")
    def bucket(self) -> LimiterState:
        """The bucket now."""
        self._refill()
        return self.state

    @workflow.query(name="recent")
    def recent_grants(self) -> list[Grant]:
        """The last grants (time, tokens, wait)."""
        return self.recent

    def _adopt(self, request: LeaseRequest) -> None:
        """The catalog may have changed the limit since this limiter started."""
        burst = request.burst or request.tokens_per_minute
        if (request.tokens_per_minute, burst) != (self.state.tokens_per_minute, self.state.burst):
            self._refill()
            self.state.tokens_per_minute = request.tokens_per_minute
            self.state.burst = burst
            self.state.level = min(self.state.level, float(burst))

    def _refill(self) -> None:
        now = workflow.now()
        if self.state.at is not None:
            elapsed = (now - self.state.at).total_seconds()
            gained = elapsed * self.state.tokens_per_minute / 60
            self.state.level = min(float(self.state.burst), self.state.level + gained)
        self.state.at = now
