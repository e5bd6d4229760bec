"""A run's spend windows (catalog ``policy: spend``), inside its workflow.

When the run starts, each window's ``per:`` is evaluated once over ``{input, spec,
fairness}`` (the run input, the spec's name, the run's fairness key): the key the run
spends under. Every agent call of the run carries the windows (``AgentCall.spend``) and
reserves in their ledgers before it is sent (``activities/spend.py``). A refused call comes
back here as a ``SpendWindowExhausted`` failure:

- ``on_exhausted: fail`` — the step fails with ``SpendWindowExhausted`` (``optional:`` or
  ``on_error: escalate`` may absorb it);
- ``on_exhausted: wait`` — a ``budget`` request waits for a person (concurrent calls of
  the run refused by the same window and period share it): ``raise`` sets the window's
  cap for that day or month (every run spending under the key gets it; the runs waiting
  on it are told and withdraw their own requests), ``continue`` lets the waiting calls go
  over, ``abort`` stops the run. The request is also withdrawn, and the call tried again,
  when the period ends.

Sub-workflows spend under their parent's windows (handed down in ``RunInput.spend``);
compensations are counted but never refused (an undo runs whatever the spend).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from podium.activities.errors import RunAborted, SpendWindowExhausted
from podium.activities.spend_contracts import (
    SPEND_WAKE_SIGNAL,
    SpendPolicy,
    SpendRefusal,
    SpendTerms,
    SpendWindow,
    WindowRaise,
    amount,
)
from podium.workflows.expressions import evaluate
from podium.workflows.humans import HumanRequest
from podium.workflows.run_context import RunContext
from podium.workflows.steps.human_desk import open_request, wait_for_decision
from podium.workflows.steps.support import failure
from temporalio import workflow

NO_KEY = "none"
"""The key of runs whose ``per:`` is null (they share one window)."""
KEY_CHARS = 200


def windows_of(
    policies: list[SpendPolicy], run_input: dict[str, Any], spec: str, handed: list[SpendWindow]
) -> list[SpendWindow]:
    """The run's windows: those handed down by its parent, then its own policies' with
    ``per:`` evaluated (a window the parent handed down is not evaluated again)."""
    windows = list(handed)
    fairness = workflow.info().priority.fairness_key or None
    scope = {"input": run_input, "spec": spec, "fairness": fairness}
    for policy in policies:
        if any(w.name == policy.name for w in windows):
            continue
        try:
            value = evaluate(policy.per, scope)
        except Exception:  # (a type error at run time): spend under the shared key
            value = None
        key = NO_KEY if value in (None, "") else value if isinstance(value, str) else None
        if key is None:
            key = json.dumps(value, sort_keys=True, ensure_ascii=False)
        fields = policy.model_dump(exclude={"per", "catalog"})
        windows.append(SpendWindow(**fields, key=key[:KEY_CHARS]))
    return windows


class SpendDesk:
    """The run's windows, the terms its calls carry, and its waits for people."""

    def __init__(self, ctx: RunContext, windows: list[SpendWindow]) -> None:
        self.ctx = ctx
        self.windows = windows
        self.raised: dict[str, int] = {}
        """Ledger id → times its ledger told this run of a raised cap."""
        self.asked: dict[str, HumanRequest] = {}
        """``<ledger> <period>`` → the request the run's refused calls wait on."""
        self.waiting: dict[str, int] = {}
        self.deciding: list[asyncio.Task[Any]] = []
        workflow.set_signal_handler(SPEND_WAKE_SIGNAL, self._told)

    def _told(self, ledger: str) -> None:
        """A ledger's cap was raised (by a person answering another run, say)."""
        self.raised[ledger] = self.raised.get(ledger, 0) + 1

    def terms(self, *, undo: bool = False) -> SpendTerms:
        """What a call carries; an undo (``undo``) is counted and never refused."""
        if undo:
            return SpendTerms(
                windows=self.windows, over=[w.ledger for w in self.windows], waits=False
            )
        return SpendTerms(windows=self.windows)

    async def refused(self, refusal: SpendRefusal, step_id: str, agent: str) -> SpendTerms:
        """What the refused call carries when it is tried again — after a person's answer,
        a raise told by the ledger, or the period's end; or fail the step
        (``on_exhausted: fail``) or the run (a person aborts)."""
        window = next(w for w in self.windows if w.ledger == refusal.window)
        where = f"step {step_id!r} (agent {agent!r})"
        if window.on_exhausted == "fail":
            raise failure(
                f"{where}: {refusal.text()} (catalog policy: spend, on_exhausted: fail)",
                SpendWindowExhausted,
                step=step_id,
            )
        ends_in = (refusal.resets_at - workflow.now()).total_seconds()
        if ends_in <= 0:
            return self.terms()  # a new period has begun since
        place = f"{refusal.window} {refusal.period}"
        request = self.asked.get(place)
        if request is None or request.status != "open":
            request = self._ask(refusal, window, step_id, where)
            self.asked[place] = request
        seen = self.raised.get(refusal.window, 0)
        self.waiting[place] = self.waiting.get(place, 0) + 1
        kind = refusal.period.partition(":")[0]
        why = "the waiting call was cancelled"
        try:
            try:
                await workflow.wait_condition(
                    lambda: request.status != "open" or self.raised.get(refusal.window, 0) > seen,
                    timeout=timedelta(seconds=ends_in),
                    timeout_summary=f"{request.id}: spend window {window.name!r} until the "
                    f"{kind} ends",
                )
                why = "the window's cap was raised (its ledger told this run)"
            except TimeoutError:
                why = f"the {kind} ended"
        finally:
            self.waiting[place] -= 1
            if not self.waiting[place] and request.status == "open":
                self._withdraw(request, why)
        return self._answer(request, refusal, step_id)

    def _ask(
        self, refusal: SpendRefusal, window: SpendWindow, step_id: str, where: str
    ) -> HumanRequest:
        kind, _, when = refusal.period.partition(":")
        needed = round(refusal.spent + refusal.reserved + refusal.need, 8)
        details = {
            "why": f"{refusal.text()}; raise sets the cap of this {kind} (for every run "
            f"spending under {window.key!r}); the window opens again when the {kind} ends "
            f"({refusal.resets_at:%Y-%m-%d %H:%M} UTC)",
            "window": window.name,
            "key": window.key,
            "period": refusal.period,
            "cap": amount(refusal.measure, refusal.cap),
            "resets_at": refusal.resets_at.isoformat(),
            "needed_usd": needed if refusal.measure == "usd" else None,
            "needed_tokens": int(needed) if refusal.measure == "tokens" else None,
        }
        request = open_request(
            self.ctx,
            "budget",
            step_id,
            title=f"Spend window {window.name!r} for {window.key!r} is used up for {kind} "
            f"{when} at {where}",
            details=details,
        )
        self.deciding.append(
            asyncio.create_task(wait_for_decision(self.ctx, request, [(window.escalate_to, None)]))
        )
        return request

    def _withdraw(self, request: HumanRequest, why: str) -> None:
        request.status = "cancelled"
        request.history.append(f"{workflow.now():%Y-%m-%dT%H:%M:%SZ} withdrawn: {why}")
        self.ctx.people.changed()

    def _answer(self, request: HumanRequest, refusal: SpendRefusal, step_id: str) -> SpendTerms:
        decision = request.decision if _answered(request) else None
        if decision is None:  # withdrawn: the cap was raised elsewhere, or a new period began
            return self.terms()
        if decision.outcome == "abort":
            reason = f": {decision.comment}" if decision.comment else ""
            raise failure(
                f"run aborted by {decision.by} when spend window {refusal.name!r} for "
                f"{refusal.key!r} ran out at step {step_id!r}{reason}",
                RunAborted,
                step=step_id,
            )
        if decision.outcome == "continue":
            note = f"spend window {refusal.name!r} ({refusal.key}) went over by {decision.by}"
            if note not in self.ctx.state.flags:
                self.ctx.state.flags.append(note)
            return SpendTerms(windows=self.windows, over=[refusal.window])
        raised = decision.budget
        return SpendTerms(
            windows=self.windows,
            raises=[
                WindowRaise(
                    window=refusal.window,
                    period=refusal.period,
                    usd=raised.usd if raised else None,
                    tokens=raised.tokens if raised else None,
                    by=f"{decision.by} ({decision.channel})",
                )
            ],
        )


def _answered(request: HumanRequest) -> bool:
    return request.status == "decided" and request.decision is not None


def open_desk(
    ctx: RunContext,
    policies: list[SpendPolicy],
    run_input: dict[str, Any],
    handed: list[SpendWindow],
) -> SpendDesk | None:
    """The run's desk, or None when it spends under no window (nothing changes then)."""
    windows = windows_of(policies, run_input, ctx.state.spec, handed)
    return SpendDesk(ctx, windows) if windows else None
