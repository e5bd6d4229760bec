"""What each spend window's key has spent today and this month against its caps — read
from the windows' running ledger workflows (``workflows/spend_ledger.py``) for ``podium
stats``."""

from __future__ import annotations

import asyncio
from typing import TextIO

from podium.activities.spend_contracts import (
    SPEND_LEDGER_WORKFLOW,
    LedgerState,
    PeriodFigures,
)
from podium.starters.formatting import usd
from pydantic import BaseModel
from temporalio.client import Client

MOST = 200
"""Windows shown at most (the busiest first)."""


class WindowFigures(BaseModel):
    """One window and key: its newest day and month against their caps."""

    window: str
    key: str
    day: str = ""
    spent_day_usd: float = 0.0
    cap_day_usd: float | None = None
    tokens_day: int = 0
    cap_day_tokens: int | None = None
    month: str = ""
    spent_month_usd: float = 0.0
    cap_month_usd: float | None = None
    reserved_usd: float = 0.0
    """Held by calls in flight (today)."""
    calls_in_flight: int = 0
    refusals_day: int = 0
    lost_day: int = 0
    """Calls charged in full today (their worker was lost, or they were cut off)."""


def figures_of(state: LedgerState) -> WindowFigures:
    """A ledger's state as one row: its newest day and month."""
    out = WindowFigures(window=state.name, key=state.key, calls_in_flight=len(state.holds))
    day = _newest(state, "day")
    month = _newest(state, "month")
    caps = state.caps
    if day is not None:
        name, figures = day
        out.day = name.removeprefix("day:")
        out.spent_day_usd, out.tokens_day = figures.spent_usd, figures.spent_tokens
        out.reserved_usd = figures.reserved_usd
        out.refusals_day, out.lost_day = figures.refusals, figures.lost
        out.cap_day_usd = _higher(caps.usd_per_day, figures.cap_usd)
        tokens = _higher(caps.tokens_per_day, figures.cap_tokens)
        out.cap_day_tokens = int(tokens) if tokens is not None else None
    if month is not None:
        name, figures = month
        out.month = name.removeprefix("month:")
        out.spent_month_usd = figures.spent_usd
        out.cap_month_usd = _higher(caps.usd_per_month, figures.cap_usd)
    return out


def _newest(state: LedgerState, kind: str) -> tuple[str, PeriodFigures] | None:
    names = [p for p in state.periods if p.startswith(kind + ":")]
    return (max(names), state.periods[max(names)]) if names else None


def _higher(cap: float | None, raised: float | None) -> float | None:
    """The cap in force: the policy's, or a person's raise when higher."""
    if cap is None:
        return None
    return max(cap, raised or 0)


async def gather_spend(client: Client) -> list[WindowFigures]:
    """Every running window ledger's figures, the biggest spenders today first."""
    query = f"WorkflowType = '{SPEND_LEDGER_WORKFLOW}' AND ExecutionStatus = 'Running'"
    ids = [w.id async for w in client.list_workflows(query, limit=MOST)]

    async def read(workflow_id: str) -> WindowFigures | None:
        try:
            handle = client.get_workflow_handle(workflow_id)
            return figures_of(await handle.query("figures", result_type=LedgerState))
        except Exception:  # ended meanwhile, or no worker answered: left out
            return None

    found = [f for f in await asyncio.gather(*(read(i) for i in ids)) if f is not None]
    return sorted(found, key=lambda f: (-f.spent_day_usd, f.window, f.key))


def print_spend(windows: list[WindowFigures], out: TextIO) -> None:
    """The windows as a table: today and this month against their caps."""
    if not windows:
        return
    names = [f"{w.window}/{w.key}" for w in windows]
    width = max(len("SPEND WINDOW"), *(len(n) for n in names)) + 2
    out.write(
        f"\n{'SPEND WINDOW':<{width}}{'DAY':<12}{'SPENT':>12}{'CAP':>12}{'TOKENS':>12}"
        f"{'TOKEN CAP':>12}{'MONTH':>9}{'SPENT':>12}{'CAP':>12}{'IN FLIGHT':>11}"
        f"{'REFUSED':>9}\n"
    )
    for name, w in zip(names, windows, strict=True):
        out.write(
            f"{name:<{width}}{w.day:<12}{usd(w.spent_day_usd):>12}{_cap(w.cap_day_usd):>12}"
            f"{w.tokens_day:>12,}{_tokens(w.cap_day_tokens):>12}{w.month:>9}"
            f"{usd(w.spent_month_usd):>12}{_cap(w.cap_month_usd):>12}"
            f"{w.calls_in_flight:>11}{w.refusals_day:>9}\n"
        )


def _cap(value: float | None) -> str:
    return usd(value) if value is not None else "-"


def _tokens(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"
