"""``PodiumSpendLedger``: one workflow per spend window and key (a catalog's ``policy:
spend``), ``podium-spend/<window>/<key>``, keeping what the key may still spend today and
this month across every worker.

Each agent call of a run under the window reserves its worst-case cost (its prompt's
estimated tokens plus the agent's ``max_output_tokens``, at the agent's price) before it
is sent, and settles what it really cost afterwards. Worker processes gather their calls'
reservations and settlements into one Update at a time (``activities/spend.py``), so the
ledger sees a few Updates per second however many calls run. A reservation is granted only
if what the period has spent, plus what calls in flight hold, plus this call's worst case
stays within every cap: spent + reserved never passes a cap (docs/spend-windows.md has the
argument and its limits).

- **Idempotent**: a reservation is named by the execution of the activity that asks; the
  same request again (an Update resent after a lost answer) gets the same grant. Every
  other execution is a request the provider may bill, so it reserves anew — a Temporal
  retry after a lost worker, and also a second execution of the same attempt (a server
  restart can start one twice). A higher attempt of the same call charges the lower one's
  hold in full at once (its worker was lost mid-call; the provider may have billed it).
- **Nothing leaks**: a hold not settled within its call's time (``hold_s``) is charged in
  full, as is a call cut off after it was sent; a late settlement corrects either.
- **Periods** are named by the callers (``day:2026-11-11``, ``month:2026-11``, in the
  window's time zone) with the UTC time they end, so the ledger needs no time zones. A
  person's raise applies to one period; the runs waiting on the window are then told.

It continues as new every ``UPDATES_PER_RUN`` Updates (or when the server suggests it)
and ends once nothing is held or waited for, it has been idle ``IDLE_S``, and every
period with spend has ended (the next call starts a fresh one for the new period).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from podium.activities.metric_names import SPEND_REFUSALS, SPEND_USD
from podium.activities.spend_contracts import (
    SPEND_LEDGER_WORKFLOW,
    SPEND_WAKE_SIGNAL,
    Hold,
    LedgerState,
    PeriodFigures,
    Reservation,
    Settlement,
    SpendAnswer,
    SpendBatch,
    SpendRefusal,
    ledger_id,
)
from temporalio import workflow

__all__ = ["PodiumSpendLedger"]

UPDATES_PER_RUN = 1000
"""Updates before the ledger continues as new (the server refuses more than 2,000 a run)."""
IDLE_S = 600.0
KEEP_PERIODS = timedelta(days=2)
"""Ended periods are kept this long (``podium stats`` shows yesterday)."""
LOST_KEPT = 2000
"""Holds charged in full kept for a late settlement to correct."""
LOG_KEPT = 50
EPSILON = 1e-9


@workflow.defn(name=SPEND_LEDGER_WORKFLOW)
class PodiumSpendLedger:
    """Durable spend figures of one window and key, shared by all workers."""

    @workflow.init
    def __init__(self, state: LedgerState) -> None:
        self.state = state
        self.updates = 0
        self.seen = workflow.now()
        self.wake: list[str] = []

    @workflow.run
    async def run(self, state: LedgerState) -> LedgerState:
        """Expire holds, tell waiting runs, continue as new when long; end when idle."""
        while True:
            now = workflow.now()
            due = (self._next(now) - now).total_seconds()
            try:
                await workflow.wait_condition(
                    lambda: bool(self.wake) or (self._full() and workflow.all_handlers_finished()),
                    timeout=max(0.5, due),
                )
            except TimeoutError:
                pass
            now = workflow.now()
            self._expire(now)
            if self.wake:
                runs, self.wake = self.wake, []
                await asyncio.gather(*(self._tell(run) for run in runs))
                continue
            if self._full() and workflow.all_handlers_finished():
                workflow.continue_as_new(self.state)
            if self._idle(now) and workflow.all_handlers_finished():
                return self.state

    @workflow.update(name="book")
    def book(self, batch: SpendBatch) -> list[SpendAnswer]:
        """Apply the settlements, then answer each reservation: granted, wait (it fits
        once calls in flight settle) or refused (with the figures)."""
        self.updates += 1
        now = self.seen = workflow.now()
        for settlement in batch.settlements:
            self._settle(settlement)
        answers = [self._reserve(r, now) for r in batch.reservations]
        self._observe()
        return answers

    @workflow.query(name="figures")
    def figures(self) -> LedgerState:
        """The caps, each period's figures and the holds now."""
        return self.state

    # -- reservations ----------------------------------------------------------------
    def _reserve(self, request: Reservation, now: datetime) -> SpendAnswer:
        state = self.state
        state.caps = request.caps  # (the catalog may have changed them)
        if request.id in state.holds or request.id in state.lost:  # asked again: same grant
            return SpendAnswer(id=request.id, verdict="granted")  # (a settlement corrects)
        if request.try_no > 1:  # Temporal runs the call again: a lower attempt's worker was lost
            for hold_id, hold in list(state.holds.items()):
                if hold.call == request.call and hold.try_no < request.try_no:
                    self._lose(hold_id, "its worker was lost mid-call")
        day = state.periods.setdefault(request.day, PeriodFigures(ends_at=request.day_ends))
        month = state.periods.setdefault(request.month, PeriodFigures(ends_at=request.month_ends))
        if request.raised is not None:
            self._raise(request)
        if request.over:
            for figures in (day, month):
                figures.over += 1
            self._note(f"{request.who}: let over the cap by a person (run {request.run_id})")
        else:
            answer = self._check(request, day, month)
            if answer is not None:
                return answer
        state.holds[request.id] = Hold(
            call=request.call,
            try_no=request.try_no,
            usd=request.usd,
            tokens=request.tokens,
            day=request.day,
            month=request.month,
            until=now + timedelta(seconds=request.hold_s),
            who=request.who,
        )
        for figures in (day, month):
            figures.reserved_usd = round(figures.reserved_usd + request.usd, 8)
            figures.reserved_tokens += request.tokens
        return SpendAnswer(id=request.id, verdict="granted")

    def _check(
        self, request: Reservation, day: PeriodFigures, month: PeriodFigures
    ) -> SpendAnswer | None:
        """None if the call fits every cap with the calls in flight; else wait or refused."""
        waiting: SpendRefusal | None = None
        for kind, period, figures in (("day", request.day, day), ("month", request.month, month)):
            for measure, cap in self.state.caps.limits(kind):
                need = float(request.usd if measure == "usd" else request.tokens)
                if cap is None or need <= 0:
                    continue
                raised = figures.cap_usd if measure == "usd" else figures.cap_tokens
                cap = max(cap, raised or 0)
                spent = figures.spent_usd if measure == "usd" else figures.spent_tokens
                reserved = figures.reserved_usd if measure == "usd" else figures.reserved_tokens
                refusal = SpendRefusal(
                    window=ledger_id(self.state.name, self.state.key),
                    name=self.state.name,
                    key=self.state.key,
                    period=period,
                    measure=measure,
                    cap=cap,
                    spent=spent,
                    reserved=reserved,
                    need=need,
                    resets_at=figures.ends_at,
                )
                if spent + need > cap + EPSILON:  # will not fit this period, whatever settles
                    figures.refusals += 1
                    self._count_refusal(kind)
                    if (
                        request.waits
                        and request.run_id
                        and request.run_id not in self.state.waiters
                    ):
                        self.state.waiters.append(request.run_id)
                    return SpendAnswer(id=request.id, verdict="refused", refusal=refusal)
                if spent + reserved + need > cap + EPSILON and waiting is None:
                    waiting = refusal.model_copy(update={"waits_for_settling": True})
        if waiting is not None:
            return SpendAnswer(id=request.id, verdict="wait", refusal=waiting)
        return None

    def _raise(self, request: Reservation) -> None:
        raised = request.raised
        assert raised is not None
        figures = self.state.periods.get(raised.period)
        if figures is None or raised.period not in (request.day, request.month):
            return  # that period is over: the new one starts at the policy's cap
        changed = []
        if raised.usd is not None and raised.usd > (figures.cap_usd or 0):
            figures.cap_usd = raised.usd
            changed.append(f"${raised.usd:g}")
        if raised.tokens is not None and raised.tokens > (figures.cap_tokens or 0):
            figures.cap_tokens = raised.tokens
            changed.append(f"{raised.tokens:,} tokens")
        if changed:
            self._note(f"{raised.period}: cap raised to {' and '.join(changed)} by {raised.by}")
            self.wake.extend(self.state.waiters)
            self.state.waiters = []

    # -- settlements -----------------------------------------------------------------
    def _settle(self, settlement: Settlement) -> None:
        state = self.state
        held = state.holds.pop(settlement.id, None)
        if held is not None:
            self._release(held)
            if settlement.outcome == "unknown":
                self._charge(held, held.usd, held.tokens, lost=True)
            elif settlement.outcome == "charged":
                self._charge(held, settlement.usd, settlement.tokens)
            return
        lost = state.lost.get(settlement.id)
        if lost is not None and settlement.outcome != "unknown":
            del state.lost[settlement.id]  # charged in full when lost: now the real cost
            self._charge(lost, -lost.usd, -lost.tokens, lost=True, calls=-1, undo=True)
            if settlement.outcome == "charged":
                self._charge(lost, settlement.usd, settlement.tokens)
        # else: settled already (a settlement sent twice): nothing to do

    def _lose(self, hold_id: str, why: str) -> None:
        """Charge a hold in full: its call may have been sent and billed."""
        hold = self.state.holds.pop(hold_id)
        self._release(hold)
        self._charge(hold, hold.usd, hold.tokens, lost=True)
        self.state.lost[hold_id] = hold
        while len(self.state.lost) > LOST_KEPT:
            del self.state.lost[next(iter(self.state.lost))]
        workflow.logger.info("spend window %s: %s charged in full: %s", self._name(), hold.who, why)

    def _release(self, hold: Hold) -> None:
        for period in (hold.day, hold.month):
            figures = self.state.periods.get(period)
            if figures is not None:
                figures.reserved_usd = max(0.0, round(figures.reserved_usd - hold.usd, 8))
                figures.reserved_tokens = max(0, figures.reserved_tokens - hold.tokens)

    def _charge(
        self,
        hold: Hold,
        usd: float,
        tokens: int,
        *,
        lost: bool = False,
        calls: int = 1,
        undo: bool = False,
    ) -> None:
        for period in (hold.day, hold.month):
            figures = self.state.periods.get(period)
            if figures is None:
                continue  # (a period long over)
            figures.spent_usd = max(0.0, round(figures.spent_usd + usd, 8))
            figures.spent_tokens = max(0, figures.spent_tokens + tokens)
            figures.calls += calls
            if lost:
                figures.lost += -1 if undo else 1

    # -- time ------------------------------------------------------------------------
    def _expire(self, now: datetime) -> None:
        for hold_id in [h for h, hold in self.state.holds.items() if hold.until <= now]:
            self._lose(hold_id, "not settled in its call's time")
        for period in [p for p, f in self.state.periods.items() if f.ends_at + KEEP_PERIODS < now]:
            del self.state.periods[period]

    def _next(self, now: datetime) -> datetime:
        """When something is due: a hold's expiry, a period's end, the idle check."""
        times = [hold.until for hold in self.state.holds.values()]
        times += [f.ends_at for f in self.state.periods.values() if f.ends_at > now]
        return min([*times, self.seen + timedelta(seconds=IDLE_S)])

    def _full(self) -> bool:
        return self.updates >= UPDATES_PER_RUN or workflow.info().is_continue_as_new_suggested()

    def _idle(self, now: datetime) -> bool:
        """Nothing held or waited for, no Update for ``IDLE_S``, every period with spend
        over: ending loses nothing the next period needs."""
        state = self.state
        if state.holds or state.waiters or self.wake:
            return False
        if (now - self.seen).total_seconds() < IDLE_S:
            return False
        return all(
            f.ends_at <= now or not (f.spent_usd or f.spent_tokens) for f in state.periods.values()
        )

    async def _tell(self, run_id: str) -> None:
        """Tell a waiting run its window's cap was raised (it may have ended: no matter)."""
        try:
            handle = workflow.get_external_workflow_handle(run_id)
            await handle.signal(SPEND_WAKE_SIGNAL, ledger_id(self.state.name, self.state.key))
        except Exception as exc:  # the run ended or was never there: nothing to tell
            workflow.logger.info("spend window %s: run %s not told: %s", self._name(), run_id, exc)

    # -- what people and dashboards see ---------------------------------------------------
    def _name(self) -> str:
        return f"{self.state.name}/{self.state.key}"

    def _note(self, line: str) -> None:
        self.state.log = [*self.state.log[-(LOG_KEPT - 1) :], line]

    def _observe(self) -> None:
        """``podium_spend_usd{key, window}``: what the newest day and month have spent."""
        meter = workflow.metric_meter()
        for kind in ("day", "month"):
            newest = [p for p in self.state.periods if p.startswith(kind + ":")]
            if newest:
                figures = self.state.periods[max(newest)]
                gauge = meter.create_gauge_float(SPEND_USD.name, SPEND_USD.description, "USD")
                gauge.set(figures.spent_usd, {"key": self._name(), "window": kind})

    def _count_refusal(self, kind: str) -> None:
        SPEND_REFUSALS.counter(workflow.metric_meter()).add(
            1, {"key": self._name(), "window": kind}
        )
