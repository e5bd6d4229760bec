"""Finding runs for the console's runs list: filters → a visibility query on Podium's
search attributes, and one page of the runs it matches.

    PodiumSpec = 'deal_review' AND PodiumStatus = 'waiting' AND PodiumMarket = 'TH'
    AND PodiumWaitingOn = 'deal-desk'

Everything shown comes from visibility (no run is queried), so a page of runs costs one
call to Temporal. Temporal lists running runs first, then the most recently closed; the
next page is asked for with the token the last one gave.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from podium.starters.runs import FINAL
from podium.workflows import search_attributes as sa
from podium.workflows.interpreter import WORKFLOW_NAME
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

PAGE_SIZE = 25
STATUSES = ("running", "waiting", "completed", "failed", "cancelled")
"""What the status filter offers (the values of ``PodiumStatus``)."""
_VALUE = re.compile(r"^[\w.@+:-]{1,100}$")
_STATUS_QUERY = {
    "running": "PodiumStatus = 'running' AND ExecutionStatus = 'Running'",
    "waiting": "PodiumStatus = 'waiting' AND ExecutionStatus = 'Running'",
    "completed": "PodiumStatus = 'completed'",
    # runs Temporal closed from outside (terminated, timed out) never said so themselves
    "failed": "(PodiumStatus = 'failed' OR ExecutionStatus IN ('Failed', 'Terminated', "
    "'TimedOut'))",
    "cancelled": "(PodiumStatus = 'cancelled' OR ExecutionStatus = 'Canceled')",
}


class BadFilter(ValueError):
    """A filter or page token that cannot be asked for (said on the page)."""


@dataclass(frozen=True)
class RunFilter:
    """What the runs list is narrowed to (empty: any)."""

    spec: str = ""
    status: str = ""
    market: str = ""
    waiting_on: str = ""

    @classmethod
    def of(cls, params: Any) -> RunFilter:
        """The filter of a request's query parameters.

        Raises:
            BadFilter: a value that is not a name (quotes, spaces) or an unknown status.
        """
        wanted = cls(
            spec=params.get("spec", "").strip(),
            status=params.get("status", "").strip(),
            market=params.get("market", "").strip(),
            waiting_on=params.get("waiting_on", "").strip().lower(),
        )
        if wanted.status and wanted.status not in STATUSES:
            raise BadFilter(f"status {wanted.status!r}")
        for value in (wanted.spec, wanted.market, wanted.waiting_on):
            if value and not _VALUE.match(value):
                raise BadFilter(repr(value))
        return wanted

    def query(self) -> str:
        """The visibility query: Podium's runs (the latest of each continue-as-new chain)
        matching every filter set."""
        parts = [f"WorkflowType = '{WORKFLOW_NAME}'", "ExecutionStatus != 'ContinuedAsNew'"]
        if self.spec:
            parts.append(f"{sa.SPEC.name} = '{self.spec}'")
        if self.status:
            parts.append(_STATUS_QUERY[self.status])
        if self.market:
            parts.append(f"{sa.MARKET.name} = '{self.market}'")
        if self.waiting_on:
            parts.append(f"{sa.WAITING_ON.name} = '{self.waiting_on}'")
        return " AND ".join(parts)

    def params(self) -> dict[str, str]:
        """The filters set, as query parameters (for the next page's link)."""
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class RunRow:
    """One run of the list."""

    id: str
    spec: str
    status: str
    market: str
    waiting_on: list[str]
    cost_usd: float
    started_at: datetime | None


async def runs_page(
    client: Client, wanted: RunFilter, page: str = "", size: int | None = None
) -> tuple[list[RunRow], str]:
    """One page (``size`` runs, default ``PAGE_SIZE``) of the runs ``wanted``, and the
    token of the next page ("" if none).

    Raises:
        BadFilter: ``page`` is not a page token.
    """
    try:
        token = base64.b64decode(page, altchars=b"-_", validate=True) if page else None
    except (binascii.Error, ValueError):
        raise BadFilter("page") from None
    found = client.list_workflows(
        wanted.query(), page_size=size or PAGE_SIZE, next_page_token=token
    )
    await found.fetch_next_page()
    rows = [_row(execution) for execution in found.current_page or []]
    following = found.next_page_token
    return rows, base64.urlsafe_b64encode(following).decode() if following else ""


def _row(execution: WorkflowExecution) -> RunRow:
    attributes = execution.typed_search_attributes
    return RunRow(
        id=execution.id,
        spec=attributes.get(sa.SPEC) or execution.workflow_type,
        status=run_status(execution),
        market=attributes.get(sa.MARKET) or "",
        waiting_on=list(attributes.get(sa.WAITING_ON) or []),
        cost_usd=attributes.get(sa.COST_USD) or 0.0,
        started_at=execution.start_time,
    )


def run_status(execution: WorkflowExecution) -> str:
    """The run's status as Podium says it (``PodiumStatus``), or — for a run Temporal
    closed from outside, which could not say so — ``failed`` / ``cancelled``."""
    said = execution.typed_search_attributes.get(sa.STATUS) or "running"
    if execution.status == WorkflowExecutionStatus.RUNNING or said in FINAL:
        return said
    if execution.status == WorkflowExecutionStatus.CANCELED:
        return "cancelled"
    if execution.status == WorkflowExecutionStatus.COMPLETED:
        return "completed"
    return "failed"
