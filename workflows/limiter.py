"""``PodiumTokenLimiter``: one workflow per provider that schedules its calls.

Every worker's ``run_agent`` activity asks it for a lease before sending a request;
the answer is *when* the request may be sent. A worker process gathers the requests of
its concurrent calls into one Update (starting the workflow if needed), one Update in
flight at a time, so the limiter sees a few Updates per second however many calls
wait. The limiter keeps two schedules (GCRA, the "virtual scheduling" form of a token
bucket):

- ``tokens_per_minute``: the request's estimated tokens (prompt + max output) drain a
  bucket of ``burst`` tokens refilling at tokens_per_minute / 60 per second;
- ``requests_per_second``: requests are spaced at least 1 / rate apart (a bucket of one
  request), so no wall-clock second ever sees a burst.

The Update never waits inside the workflow (a workflow holds only a few in-flight
Updates): it books the slots and returns at once; each activity sleeps until its slot.
Afterwards the activity tells the limiter (a Signal) when a call used more tokens than
it leased. Because the schedules live in one workflow, the limits hold across every
worker process polling the provider's queue, and survive restarts. Slot times are the
server's workflow clock; worker hosts are assumed NTP-synchronised.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from podium.activities.limiter_contracts import (
        LIMITER_WORKFLOW,
        Grant,
        Lease,
        LeaseBatch,
        LeaseRequest,
        LimiterState,
        Settlement,
        limiter_id,
    )

__all__ = [
    "LIMITER_WORKFLOW",
    "Grant",
    "Lease",
    "LeaseBatch",
    "LeaseRequest",
    "LimiterState",
    "PodiumTokenLimiter",
    "Settlement",
    "limiter_id",
]
GRANTS_PER_RUN = 5000
"""Grants before the limiter continues as new (keeps the history short)."""
UPDATES_PER_RUN = 1000
"""…or this many Updates (the server refuses more than 2,000 per run); each Update
books a whole batch of a worker's calls."""
IDLE_S = 600.0
"""An idle limiter ends after this; the next request starts a fresh one."""
RECENT = 200
LEAD_S = 0.25
"""How far ahead of the limiter's clock request slots are booked (see ``_book``)."""


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@workflow.defn(name=LIMITER_WORKFLOW)
class PodiumTokenLimiter:
    """Durable schedules shared by all workers of one provider."""

    @workflow.init
    def __init__(self, state: LimiterState) -> None:
        self.state = state
        self.grants = 0
        self.updates = 0
        self.recent: list[Grant] = []

    @workflow.run
    async def run(self, state: LimiterState) -> None:
        """Book slots; continue as new every ``GRANTS_PER_RUN`` grants; end when idle."""
        while True:
            seen = self.grants
            try:
                await workflow.wait_condition(
                    lambda: (
                        (self.grants >= GRANTS_PER_RUN or self.updates >= UPDATES_PER_RUN)
                        and workflow.all_handlers_finished()
                    ),
                    timeout=timedelta(seconds=IDLE_S),
                )
            except TimeoutError:
                if self.grants == seen and workflow.all_handlers_finished() and self._drained():
                    return  # idle: the next request starts a fresh limiter
                continue
            workflow.continue_as_new(self.state)

    def _drained(self) -> bool:
        """Every booked slot has passed and the token bucket is full again."""
        now = workflow.now()
        return all(t is None or t <= now for t in (self.state.token_tat, self.state.request_tat))

    @workflow.update(name="acquire")
    def acquire(self, batch: LeaseBatch) -> list[Lease]:
        """Book the earliest slots that keep every limit, in order; return them at once."""
        self.updates += 1
        return [self._book(request) for request in batch.requests]

    def _book(self, request: LeaseRequest) -> Lease:
        try:
            self._adopt(request)
        except ValueError as exc:  # fails this Update, not the limiter's workflow task
            raise ApplicationError(str(exc), type="BadLimits", non_retryable=True) from None
        state, now = self.state, workflow.now()
        at = now
        rate = (state.tokens_per_minute or 0) / 60
        if rate and request.tokens:
            cost = timedelta(seconds=request.tokens / rate)
            # earliest time the bucket holds the tokens (a full bucket's credit is `burst`)
            at = max(at, max(state.token_tat or now, now) + cost - _seconds(state.burst / rate))
        if state.requests_per_second:
            # Slots start LEAD_S ahead: by the time the lease reaches its activity, ``now``
            # is already a little in the past; a slot there would be sent at once, next
            # to its successors, and bunch up.
            at = max(at, state.request_tat or now, now + timedelta(seconds=LEAD_S))
            state.request_tat = at + timedelta(seconds=1 / state.requests_per_second)
        if rate and request.tokens:  # consumed when the request is really sent: at `at`
            state.token_tat = max(state.token_tat or now, at) + cost
            state.granted_total += request.tokens
        self.grants += 1
        waited = (at - now).total_seconds()
        grant = Grant(at=at, tokens=request.tokens, waited_s=waited, who=request.who)
        self.recent = [*self.recent[-(RECENT - 1) :], grant]
        return Lease(tokens=request.tokens, granted_at=at, waited_s=waited)

    @workflow.signal(name="settle")
    def settle(self, settlement: Settlement) -> None:
        """Take what a call used beyond its lease. Nothing is given back when it used less:
        providers count a request's max output tokens against the limit when they get it."""
        extra = settlement.used - settlement.leased
        state = self.state
        if extra > 0 and state.tokens_per_minute:
            now = workflow.now()
            rate = state.tokens_per_minute / 60
            state.token_tat = max(state.token_tat or now, now) + timedelta(seconds=extra / rate)
            state.granted_total += extra

    @workflow.query(name="bucket")
    def bucket(self) -> LimiterState:
        """The limits and schedules now."""
        return self.state

    @workflow.query(name="recent")
    def recent_grants(self) -> list[Grant]:
        """The last grants (slot time, tokens, wait)."""
        return self.recent

    def _adopt(self, request: LeaseRequest) -> None:
        """The catalog may have changed the limits since this limiter started."""
        if (request.tokens_per_minute or 0) < 0 or (request.requests_per_second or 0) < 0:
            raise ValueError("limits must be positive")
        self.state.tokens_per_minute = request.tokens_per_minute
        self.state.burst = request.burst or request.tokens_per_minute or 0
        self.state.requests_per_second = request.requests_per_second
