"""Contracts of spend windows (a catalog's ``policy: spend``): what a plan declares, what a
run hands each agent call, and what calls ask the window's ledger workflow
(``workflows/spend_ledger.py``) and it answers. Here, beside the activities that send
them, because activities must not import workflow code. Side-effect free.

    SpendPolicy      the plan's declaration (``per:`` still an expression)
    SpendWindow      one window of one run: the policy with its key evaluated
    SpendTerms       what an agent call carries (its windows, a person's raise or leave)
    Reservation ─┐
    Settlement  ─┴─ SpendBatch → the ledger's ``book`` Update → [SpendAnswer]
    LedgerState      the ledger's figures and holds, carried across continue-as-new
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from podium.activities.contract_base import Contract
from pydantic import Field

SPEND_LEDGER_WORKFLOW = "PodiumSpendLedger"
SPEND_REFUSED = "SpendWindowExhausted"
"""The ``type`` of the activity failure a refused reservation raises (and of the step
failure under ``on_exhausted: fail``): the class in ``activities.errors``."""
SPEND_WAKE_SIGNAL = "podium.spend_window"
"""Sent by a ledger to the runs waiting on it when a person raised its cap."""


def ledger_id(name: str, key: str) -> str:
    """Workflow id of the ledger of window ``name`` for ``key``."""
    return f"podium-spend/{name}/{key}"


class SpendCaps(Contract):
    """A window's limits; None: no limit on that measure."""

    usd_per_day: float | None = Field(None, gt=0)
    usd_per_month: float | None = Field(None, gt=0)
    tokens_per_day: int | None = Field(None, gt=0)

    def limits(self, period: str) -> list[tuple[Literal["usd", "tokens"], float | None]]:
        """(measure, cap) of ``period``."""
        if period == "day":
            return [("usd", self.usd_per_day), ("tokens", self.tokens_per_day)]
        return [("usd", self.usd_per_month)]


class SpendPolicy(SpendCaps):
    """A catalog's spend window, as the plan carries it."""

    name: str
    """Windows of the same name share their ledgers, whatever spec or catalog names them."""
    per: str
    """JMESPath over ``{input, spec, fairness}``: the key each run spends under."""
    timezone: str = "UTC"
    """Where a day and a month begin (IANA name, e.g. ``Asia/Jakarta``)."""
    on_exhausted: Literal["wait", "fail"] = "wait"
    escalate_to: list[str] = Field(default_factory=list)
    """Who may answer the budget request of a run waiting on the window (empty: anyone)."""
    catalog: str = ""
    """The catalog file that declares it (for messages)."""


class SpendWindow(SpendCaps):
    """One window a run spends in: its policy, with the run's key evaluated."""

    name: str
    key: str
    timezone: str = "UTC"
    on_exhausted: Literal["wait", "fail"] = "wait"
    escalate_to: list[str] = Field(default_factory=list)

    @property
    def ledger(self) -> str:
        """Workflow id of this window's ledger."""
        return ledger_id(self.name, self.key)

    @property
    def caps(self) -> SpendCaps:
        return SpendCaps(**self.model_dump(include=set(SpendCaps.model_fields)))


class WindowRaise(Contract):
    """A person's new cap for one period of one window (``podium resolve --raise-usd``)."""

    window: str
    """The window's ledger id."""
    period: str
    """``day:2026-11-11`` or ``month:2026-11``."""
    usd: float | None = None
    tokens: int | None = None
    by: str = ""


class SpendTerms(Contract):
    """What an agent call carries: the run's windows, and what people decided for it."""

    windows: list[SpendWindow]
    over: list[str] = Field(default_factory=list)
    """Ledger ids a person let this call go over (``--continue``), or all of them for a
    compensation (an undo runs whatever the spend)."""
    raises: list[WindowRaise] = Field(default_factory=list)
    waits: bool = True
    """A refusal makes the run wait for a person (it is told when the cap is raised)."""


class Reservation(Contract):
    """One call's worst-case cost, asked of one window's ledger."""

    id: str
    """One per execution of the activity (``<call>/<try_no>/<8 hex>``): the same request
    sent again (an Update whose answer was lost) is the same reservation; another
    execution — even of the same Temporal attempt, which a server restart can start twice —
    is another request the provider may bill, so another reservation."""
    call: str = ""
    """``<idempotency key>/<provider attempt>``: the model request it is for."""
    try_no: int = 1
    """Temporal's attempt of the activity: a higher one for the same call means the worker
    of a lower one was lost while it held its reservation."""
    usd: float = Field(ge=0)
    tokens: int = Field(ge=0)
    day: str
    day_ends: datetime
    month: str
    month_ends: datetime
    hold_s: float
    """After this the ledger takes the call's worker as lost (charged in full)."""
    caps: SpendCaps
    over: bool = False
    raised: WindowRaise | None = None
    run_id: str = ""
    waits: bool = True
    who: str = ""


class Settlement(Contract):
    """What a reserved call cost: ``charged`` (its usage: an answer, or a failure the
    provider billed), ``nothing`` (never sent, or refused by the provider with an error it
    does not bill) or ``unknown`` (cut off after it was sent: charged in full)."""

    id: str
    """The reservation's id."""
    usd: float = 0.0
    tokens: int = 0
    outcome: Literal["charged", "nothing", "unknown"] = "charged"


class SpendBatch(Contract):
    """One worker process's reservations and settlements for one ledger (one Update)."""

    owner: str
    reservations: list[Reservation] = Field(default_factory=list)
    settlements: list[Settlement] = Field(default_factory=list)


class SpendRefusal(Contract):
    """Why a reservation was refused, with the figures a person needs to raise the cap."""

    window: str
    """The ledger id (``podium-spend/<name>/<key>``)."""
    name: str
    key: str
    period: str
    measure: Literal["usd", "tokens"]
    cap: float
    spent: float
    reserved: float
    need: float
    resets_at: datetime
    waits_for_settling: bool = False
    """It would fit once calls in flight settle (they were still in flight too long)."""

    def text(self) -> str:
        """One line: which window, which period, the figures."""
        kind, _, when = self.period.partition(":")
        spent, reserved, need, cap = (
            amount(self.measure, v) for v in (self.spent, self.reserved, self.need, self.cap)
        )
        return (
            f"spend window {self.name!r} for {self.key!r} is used up for the {kind} {when}: "
            f"{spent} spent + {reserved} reserved + {need} for this call > cap {cap}"
        )


def amount(measure: str, value: float) -> str:
    """``$0.0042`` or ``12,000 tokens``."""
    if measure == "usd":
        return "$" + (f"{value:.6f}".rstrip("0").rstrip(".") or "0")
    return f"{value:,.0f} tokens"


class SpendAnswer(Contract):
    """The ledger's answer to one reservation."""

    id: str
    verdict: Literal["granted", "wait", "refused"]
    """``wait``: it fits once calls in flight settle; ask again shortly."""
    refusal: SpendRefusal | None = None


class Hold(Contract):
    """A granted reservation, until its call settles."""

    call: str = ""
    try_no: int
    usd: float
    tokens: int
    day: str
    month: str
    until: datetime
    who: str = ""


class PeriodFigures(Contract):
    """One day or month of a window."""

    ends_at: datetime
    spent_usd: float = 0.0
    spent_tokens: int = 0
    reserved_usd: float = 0.0
    reserved_tokens: int = 0
    calls: int = 0
    refusals: int = 0
    lost: int = 0
    """Calls charged in full because their worker was lost or they were cut off."""
    over: int = 0
    """Calls a person let go over the cap."""
    cap_usd: float | None = None
    """A person's raise for this period (the policy's cap applies when higher)."""
    cap_tokens: int | None = None


class LedgerState(Contract):
    """A window's ledger: its caps, its periods' figures, the calls holding a reservation."""

    name: str
    key: str
    caps: SpendCaps = Field(default_factory=SpendCaps)
    periods: dict[str, PeriodFigures] = Field(default_factory=dict)
    holds: dict[str, Hold] = Field(default_factory=dict)
    lost: dict[str, Hold] = Field(default_factory=dict)
    """Holds charged in full (worker lost, call cut off): a late settlement corrects them."""
    waiters: list[str] = Field(default_factory=list)
    """Runs waiting for a person because of this window: told when a cap is raised."""
    log: list[str] = Field(default_factory=list)
    """Raises and calls let over, newest last (the last 50)."""
