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

from collections.abc import Callable
from datetime import datetime, timedelta

from podium.activities.limiter_contracts import (
    LIMITER_WORKFLOW,
    FairAnswer,
    FairBatch,
    FairKey,
    FairLease,
    Grant,
    Lease,
    LeaseBatch,
    LeaseRequest,
    LimiterState,
    Settlement,
    Waiting,
    limiter_id,
)
from temporalio import workflow
from temporalio.exceptions import ApplicationError

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
POLL_S = 0.5
"""Fair booking: a worker with requests waiting asks for their slots this often."""
COLLECT_S = POLL_S + 0.5
"""…so a slot given to another worker's request is booked at least this far ahead (its
next poll, and the Update's way there and back)."""
STALE_S = 3 * POLL_S
"""Fair booking: a worker silent this long gets no new slots (it may be lost)…"""
HORIZON_S = 2.0
"""Fair booking: slots are given at most this far ahead; later requests wait in their
key's queue, where a newcomer key can overtake them."""
OWNER_TTL_S = 45.0
"""…and one silent this long is forgotten with its waiting requests (longer than a
worker's own 30 s of retrying one Update)."""


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
                self._forget_silent(workflow.now())  # (dead workers' waiting requests go)
                if self.grants == seen and workflow.all_handlers_finished() and self._drained():
                    return  # idle: the next request starts a fresh limiter
                continue
            workflow.continue_as_new(self.state)

    def _drained(self) -> bool:
        """Every booked slot has passed and the token bucket is full again."""
        now = workflow.now()
        if any(key.queue for key in self.state.keys.values()) or self.state.ready:
            return False
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
        now = workflow.now()
        at = self._slot(request.tokens, now, LEAD_S)
        return self._grant(at, request.tokens, now, now, request.who)

    def _slot(self, tokens: int, now: datetime, lead_s: float) -> datetime:
        """The earliest time a request of ``tokens`` may be sent, keeping every limit (not
        yet booked)."""
        state = self.state
        at = now
        rate = (state.tokens_per_minute or 0) / 60
        if rate and tokens:
            cost = timedelta(seconds=tokens / rate)
            # earliest time the bucket holds the tokens (a full bucket's credit is `burst`)
            at = max(at, max(state.token_tat or now, now) + cost - _seconds(state.burst / rate))
        if state.requests_per_second:
            # Slots start LEAD_S ahead: by the time the lease reaches its activity, ``now``
            # is already a little in the past; a slot there would be sent at once, next
            # to its successors, and bunch up.
            at = max(at, state.request_tat or now, now + timedelta(seconds=lead_s))
        return at

    def _grant(self, at: datetime, tokens: int, now: datetime, asked: datetime, who: str) -> Lease:
        """Book the slot at ``at`` (from ``_slot``) for a request asked at ``asked``."""
        state = self.state
        if state.requests_per_second:
            state.request_tat = at + timedelta(seconds=1 / state.requests_per_second)
        rate = (state.tokens_per_minute or 0) / 60
        if rate and tokens:  # consumed when the request is really sent: at `at`
            state.token_tat = max(state.token_tat or now, at) + timedelta(seconds=tokens / rate)
            state.granted_total += tokens
        self.grants += 1
        waited = (at - asked).total_seconds()
        grant = Grant(at=at, tokens=tokens, waited_s=waited, who=who)
        self.recent = [*self.recent[-(RECENT - 1) :], grant]
        return Lease(tokens=tokens, granted_at=at, waited_s=waited)

    @workflow.update(name="request")
    def request(self, batch: FairBatch) -> FairAnswer:
        """Fair booking: queue the worker's new requests by fairness key, give slots up to
        ``HORIZON_S`` ahead to the waiting requests of every worker in weighted fair order,
        and return every slot given to this worker's requests that it has not acknowledged
        (an answer lost on the way is answered again). A flood of one key books only the
        horizon, so another key's requests queue behind seconds, not the flood."""
        self.updates += 1
        now, state = workflow.now(), self.state
        forgotten = batch.owner not in state.owners
        state.owners[batch.owner] = now
        if batch.acked:
            acked = set(batch.acked)
            ready = [
                lease for lease in state.ready.get(batch.owner, []) if lease.ticket not in acked
            ]
            state.ready[batch.owner] = ready
        # a batch sent twice queues its requests once (a poll without requests: no scan)
        known = self._tickets(batch.owner) if batch.requests else set()
        for request in batch.requests:
            try:
                self._adopt(request)
            except ValueError as exc:
                raise ApplicationError(str(exc), type="BadLimits", non_retryable=True) from None
            if request.ticket in known:
                continue
            key = state.keys.setdefault(request.fairness_key, FairKey())
            key.weight = request.weight
            key.queue.append(
                Waiting(
                    ticket=request.ticket,
                    owner=batch.owner,
                    tokens=request.tokens,
                    asked_at=now,
                    who=request.who,
                )
            )
        if batch.dropped:
            dropped = set(batch.dropped)
            self._drop(lambda w: w.owner == batch.owner and w.ticket in dropped)
        self._forget_silent(now)
        self._fill(now, batch.owner)
        leases = state.ready.get(batch.owner, [])
        if not leases:
            state.ready.pop(batch.owner, None)
        return FairAnswer(leases=list(leases), forgotten=forgotten)

    def _tickets(self, owner: str) -> set[str]:
        """The owner's tickets waiting or answered and not yet acknowledged."""
        tickets = {lease.ticket for lease in self.state.ready.get(owner, [])}
        for key in self.state.keys.values():
            tickets.update(w.ticket for w in key.queue if w.owner == owner)
        return tickets

    def _fill(self, now: datetime, caller: str) -> None:
        """Give slots to waiting requests, up to ``HORIZON_S`` ahead, in weighted fair order
        (start-time fair queueing: a key's next request starts, in virtual time, where its
        previous one finished, or now if the key was idle; the earliest start goes first;
        a request lasts its share of capacity divided by its key's weight). Requests of a
        worker not heard from for ``STALE_S`` keep their places but get no slot (a lost
        host's calls would waste them)."""
        state = self.state
        horizon = now + timedelta(seconds=HORIZON_S)
        live = {o for o, seen in state.owners.items() if (now - seen).total_seconds() <= STALE_S}
        while True:
            best: tuple[float, str, int] | None = None
            for name, key in state.keys.items():
                index = next((i for i, w in enumerate(key.queue) if w.owner in live), None)
                if index is None:
                    continue
                start = max(key.finish, state.virtual)
                if best is None or (start, name) < best[:2]:
                    best = (start, name, index)
            if best is None:
                return
            start, name, index = best
            key = state.keys[name]
            waiting = key.queue[index]
            # another worker collects its slot at its next poll: book it that far ahead
            lead = LEAD_S if waiting.owner == caller else COLLECT_S
            at = self._slot(waiting.tokens, now, lead)
            if at > horizon and not self._free(now, lead):
                return  # (a request later than the horizon only by its own size still goes)
            key.queue.pop(index)
            state.virtual = start
            key.finish = start + self._cost(waiting.tokens) / key.weight
            lease = self._grant(at, waiting.tokens, now, waiting.asked_at, waiting.who)
            fair = FairLease(**lease.model_dump(), ticket=waiting.ticket)
            state.ready.setdefault(waiting.owner, []).append(fair)

    def _free(self, now: datetime, lead_s: float) -> bool:
        """Nothing is booked ahead: the token bucket is full and the next request slot is
        free now."""
        state = self.state
        tokens_free = state.token_tat is None or state.token_tat <= now
        soon = now + timedelta(seconds=lead_s)
        return tokens_free and (state.request_tat is None or state.request_tat <= soon)

    def _cost(self, tokens: int) -> float:
        """A request's share of the provider's capacity, in seconds of it."""
        state = self.state
        cost = 0.0
        if state.tokens_per_minute and tokens:
            cost = tokens / (state.tokens_per_minute / 60)
        if state.requests_per_second:
            cost = max(cost, 1 / state.requests_per_second)
        return cost or 1.0

    def _drop(self, gone: Callable[[Waiting], bool]) -> None:
        """Remove the waiting requests ``gone`` says."""
        for key in self.state.keys.values():
            key.queue = [w for w in key.queue if not gone(w)]

    def _forget_silent(self, now: datetime) -> None:
        """Workers not heard from for ``OWNER_TTL_S`` died or lost their calls: their
        waiting requests and uncollected slots go (a worker that comes back is told to
        ask again). Keys with nothing waiting and no recent share are forgotten too."""
        state = self.state
        silent = {
            owner
            for owner, seen in state.owners.items()
            if (now - seen).total_seconds() > OWNER_TTL_S
        }
        if silent:
            self._drop(lambda w: w.owner in silent)
            for owner in silent:
                state.owners.pop(owner, None)
                state.ready.pop(owner, None)
        for name in [n for n, k in state.keys.items() if not k.queue and k.finish < state.virtual]:
            del state.keys[name]

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
