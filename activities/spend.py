"""Spend windows before each agent call: a reservation with each window's ledger workflow
(``workflows/spend_ledger.py``, one per window and key, across every worker), settled
after the call.

``run_agent`` wraps each model request in ``reserved(call)``: the call's worst-case cost
(its prompt's estimated tokens plus the agent's ``max_output_tokens``, at its price) is
reserved in every window the run spends in before anything is sent; a refusal raises the
``SpendWindowExhausted`` failure, which the run turns into a wait for a person or a failed
step (``workflows/steps/spend_desk.py``). Afterwards the call settles: what its answer cost,
nothing (never sent, or an error the provider does not bill), or — cut off after it was
sent — its whole reservation. Like the rate limiter's bookings, a process's reservations
and settlements for one ledger travel in one Update at a time, started if need be
(Update-with-Start); settlements are sent in the background and retried while the
server is away.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as midnight
from typing import Any
from zoneinfo import ZoneInfo

from podium.activities.contracts import AgentCall, AgentResult, FailureDetails, Usage
from podium.activities.errors import LimiterUnavailable
from podium.activities.heartbeat import heartbeating
from podium.activities.limits import observe_start
from podium.activities.providers.prompt import estimate_call
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.spend_contracts import (
    SPEND_LEDGER_WORKFLOW,
    SPEND_REFUSED,
    LedgerState,
    Reservation,
    Settlement,
    SpendAnswer,
    SpendBatch,
    SpendTerms,
    SpendWindow,
)
from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

logger = logging.getLogger("podium.spend")
HOLD_MARGIN_S = 60.0
"""A reservation is held for the call's timeout and this much more (rate-limit waits,
the way back); then the ledger takes the call as lost and charges it in full."""
POLL_S = 0.5
"""A call that fits once calls in flight settle asks again this often."""
BOOKING_S = 30.0
SETTLING_S = 600.0
"""Settlements are retried this long (a server restart); then the hold's expiry charges it."""
BATCH = 200
NOT_BILLED = frozenset(
    {
        "ProviderNotConfigured",  # never sent
        "ProviderUnavailable",  # circuit open: never sent
        "LimiterUnavailable",  # never sent
        "ProviderAuthError",  # the provider refused it: 401/403
        "ProviderRejectedRequest",  # other 4xx
        "ProviderRateLimited",  # 429
        "ProviderRequestTimeout",  # 408
        "ProviderConflict",  # 409
        "ProviderServerError",  # 5xx
    }
)
"""Failures that cost nothing: the request never left, or the provider answered with an
error (providers bill answers, not refusals). Any other failure after the reservation —
a timeout, a broken connection, a cancelled call — may have been billed: charged in full."""


class SpendHold:
    """A call's reservations, and what to settle them with (nothing, until told)."""

    def __init__(self, call: AgentCall, terms: SpendTerms | None, usd: float, tokens: int):
        self.call, self.terms = call, terms
        self.of = f"{call.idempotency_key}/{call.attempt}"
        self.try_no = activity.info().attempt if terms else 1
        self.id = f"{self.of}/{self.try_no}/{uuid.uuid4().hex[:8]}"  # this execution's
        self.usd, self.tokens = usd, tokens
        self.settlement = Settlement(id=self.id, outcome="nothing")

    def charge(self, result: AgentResult) -> None:
        """The call was answered: settle its cost."""
        self.settlement = self.settlement.model_copy(
            update={
                "outcome": "charged",
                "usd": result.cost_usd,
                "tokens": result.usage.total_tokens,
            }
        )

    def failed(self, exc: BaseException) -> None:
        """The call failed: what it may have cost."""
        details = FailureDetails.of(exc)
        billed = details.billed()
        if billed is not None:
            outcome, usd, tokens = "charged", details.cost_usd or 0.0, billed.total_tokens
        elif isinstance(exc, ApplicationError) and exc.type in NOT_BILLED:
            outcome, usd, tokens = "nothing", 0.0, 0
        else:
            outcome, usd, tokens = "unknown", self.usd, self.tokens
        self.settlement = Settlement(id=self.id, usd=usd, tokens=tokens, outcome=outcome)


@asynccontextmanager
async def reserved(call: AgentCall) -> AsyncIterator[SpendHold]:
    """Reserve ``call``'s worst case in each of its windows (raise ``SpendWindowExhausted``
    when one refuses); settle when the block ends (``SpendHold.charge`` on an answer)."""
    terms = call.spend
    if terms is None or not terms.windows:
        yield SpendHold(call, None, 0.0, 0)
        return
    prompt, most_out = estimate_call(call)
    usd = round(call.agent.price.cost(Usage(input_tokens=prompt, output_tokens=most_out)), 8)
    hold = SpendHold(call, terms, usd, prompt + most_out)
    try:
        async with heartbeating(max(0.2, call.agent.heartbeat_s / 3)):
            await _reserve(hold, terms)
    except LimiterUnavailable as exc:  # the ledger did not answer: retried, free of attempts
        raise exc.to_application_error() from None
    try:
        yield hold
    except BaseException as exc:
        hold.failed(exc)
        raise
    finally:
        for window in terms.windows:
            _ledger(window).settle(hold.settlement)


async def _reserve(hold: SpendHold, terms: SpendTerms) -> None:
    now = datetime.now(UTC)
    try:
        answers = await asyncio.gather(
            *(_ask(window, _reservation(hold, terms, window, now)) for window in terms.windows)
        )
    except BaseException:  # cancelled, or a ledger did not answer: give back any grant
        _give_back(hold, terms)
        raise
    refused = next((a for a in answers if a.verdict != "granted"), None)
    if refused is None:
        return
    _give_back(hold, terms)  # what the other windows granted
    assert refused.refusal is not None
    raise ApplicationError(
        refused.refusal.text(),
        refused.refusal.model_dump(mode="json"),
        type=SPEND_REFUSED,
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


def _give_back(hold: SpendHold, terms: SpendTerms) -> None:
    """Release the call's grants in every window (a window that granted nothing ignores it)."""
    for window in terms.windows:
        _ledger(window).settle(Settlement(id=hold.id, outcome="nothing"))


def _reservation(
    hold: SpendHold, terms: SpendTerms, window: SpendWindow, now: datetime
) -> Reservation:
    day, day_ends, month, month_ends = periods(now, window.timezone)
    raised = next((r for r in terms.raises if r.window == window.ledger), None)
    call = hold.call
    return Reservation(
        id=hold.id,
        call=hold.of,
        try_no=hold.try_no,
        usd=hold.usd,
        tokens=hold.tokens,
        day=day,
        day_ends=day_ends,
        month=month,
        month_ends=month_ends,
        hold_s=call.deadline_s + HOLD_MARGIN_S,
        caps=window.caps,
        over=window.ledger in terms.over,
        raised=raised,
        run_id=call.run_id,
        waits=terms.waits,
        who=f"{call.run_id}/{call.step_id} ({call.agent.name})",
    )


async def _ask(window: SpendWindow, reservation: Reservation) -> SpendAnswer:
    """The ledger's answer; a call that fits once calls in flight settle asks again."""
    while True:
        answer = await _ledger(window).reserve(reservation)
        if answer.verdict != "wait":
            return answer
        await asyncio.sleep(POLL_S)


def periods(now: datetime, timezone: str) -> tuple[str, datetime, str, datetime]:
    """``(day id, when it ends, month id, when it ends)`` of ``now`` in ``timezone`` (ends
    in UTC): ``day:2026-11-11``, ``month:2026-11``."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    tomorrow = today + timedelta(days=1)
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)

    def start(day: Any) -> datetime:
        return datetime.combine(day, midnight(), tzinfo=zone).astimezone(UTC)

    return f"day:{today.isoformat()}", start(tomorrow), f"month:{today:%Y-%m}", start(next_month)


class _Ledger:
    """This process's line to one window's ledger: reservations and settlements gathered
    into one Update at a time."""

    def __init__(self, client: Client, window: SpendWindow) -> None:
        self.client, self.window = client, window
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.pending: list[tuple[Reservation, asyncio.Future[SpendAnswer]]] = []
        self.settlements: list[Settlement] = []
        self.sender: asyncio.Task[None] | None = None
        self.settling_since: float | None = None

    async def reserve(self, reservation: Reservation) -> SpendAnswer:
        future: asyncio.Future[SpendAnswer] = asyncio.get_running_loop().create_future()
        self.pending.append((reservation, future))
        self._kick()
        return await future

    def settle(self, settlement: Settlement) -> None:
        self.settlements.append(settlement)
        self._kick()

    def _kick(self) -> None:
        if self.sender is None or self.sender.done():
            self.sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self.pending or self.settlements:
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            settled, self.settlements = self.settlements[:BATCH], self.settlements[BATCH:]
            reservations = [r for r, _ in batch]
            try:
                answers = await self._update(
                    SpendBatch(owner=self.owner, reservations=reservations, settlements=settled)
                )
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                self._keep(settled)
                if self.settlements and not self.pending:
                    await asyncio.sleep(1.0)  # the server is away: settle when it is back
                continue
            self.settling_since = None
            for (reservation, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(answer)
                elif answer.verdict == "granted":  # its call was cancelled meanwhile
                    self.settlements.append(Settlement(id=reservation.id, outcome="nothing"))

    def _keep(self, settled: list[Settlement]) -> None:
        """Settlements not delivered go again, for ``SETTLING_S`` at most."""
        if self.settling_since is None:
            self.settling_since = time.monotonic()
        if time.monotonic() - self.settling_since < SETTLING_S:
            self.settlements = settled + self.settlements
        elif settled:
            logger.warning(
                "spend window %s: %d settlements not delivered; their holds will be charged "
                "in full when they expire",
                self.window.ledger,
                len(settled),
            )
            self.settlements, self.settling_since = [], None

    async def _update(self, batch: SpendBatch) -> list[SpendAnswer]:
        """The Update (starting the ledger if needed), retried while it moves to a new run
        or the server is busy."""
        delay, deadline = 0.05, time.monotonic() + BOOKING_S
        window = self.window
        while True:
            start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
                SPEND_LEDGER_WORKFLOW,
                LedgerState(name=window.name, key=window.key, caps=window.caps),
                id=window.ledger,
                task_queue=ORCHESTRATION_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"spend window {window.name!r} for {window.key!r}",
            )
            observe_start(start)
            try:
                return await asyncio.wait_for(
                    self.client.execute_update_with_start_workflow(
                        "book", batch, start_workflow_operation=start, result_type=list[SpendAnswer]
                    ),
                    timeout=max(1.0, deadline - time.monotonic()),
                )
            except WorkflowUpdateFailedError as exc:  # refused by the ledger: will not change
                raise LimiterUnavailable(
                    f"spend window {window.name!r} ({window.ledger}) refused the booking: "
                    f"{exc.cause or exc}"
                ) from None
            except Exception as exc:  # busy, moving to a new run, or not running
                if time.monotonic() >= deadline:
                    raise LimiterUnavailable(
                        f"the ledger of spend window {window.name!r} ({window.ledger}) did not "
                        f"answer for {BOOKING_S:.0f}s ({type(exc).__name__}: {exc}); is an "
                        "orchestration worker running?"
                    ) from None
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(1.0, delay * 2)


_ledgers: dict[tuple[int, str], _Ledger] = {}


def _ledger(window: SpendWindow) -> _Ledger:
    client = activity.client()
    found = _ledgers.get((id(client), window.ledger))
    if found is None:
        found = _ledgers[(id(client), window.ledger)] = _Ledger(client, window)
    found.window = window  # (the catalog may have changed its caps)
    return found
