"""What the run page shows of a run, built from its events — and which part of the page
each event changes.

The page and its live stream read the same events (the run's stream; the page those kept
so far, the stream those after, through ``fanout``), so a page rendered from the events
so far and the fragments sent after them agree. ``RunPicture`` (what ``podium watch``
keeps) holds each step's status, the run's status and cost and each call's text; the page
adds the plan's diagram, who a step waits on, each step's time, cost and answer, the text
being written now, and the run's tool calls, supervisor decisions and people's answers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from podium.activities.run_events import RunEvent
from podium.starters.fanout import read_kept
from podium.starters.watch_view import RunPicture
from podium.starters.web.run_diagram import Diagram, diagram
from podium.workflows.plan import Plan
from temporalio.client import Client

PARTS = ("head", "steps", "writing", "activity")
"""The page's parts, each sent whole when an event changes it, in this order."""
ACTIVITY = 100
"""Tool calls, decisions and people's answers shown (the newest)."""
TEXT_CHARS = 4000
"""Characters of a text being written that the page shows (its end)."""
LOGGED = {
    "tool.call",
    "tool.result",
    "supervisor.decision",
    "step.waiting",
    "step.resumed",
    "step.failed",
    "run.continued",
}
"""Events listed under the run's activity."""


@dataclass
class StepDetails:
    """What a step's box says besides its status."""

    duration_ms: float | None = None
    cost_usd: float | None = None
    output: Any = None
    offset: int = -1
    """The offset of the event that closed it (a step that runs again closes anew)."""
    note: str = ""
    """Why it failed or was skipped."""
    request: str | None = None
    """The request it waits on (while a person has to answer)."""
    approvers: list[str] = field(default_factory=list)


@dataclass
class Writing:
    """A text an agent is writing now."""

    step: str
    text: str
    cut: bool
    """Only its end is shown."""


class LiveRun:
    """The run page's picture of a run."""

    def __init__(self, run_id: str, plan: Plan | None) -> None:
        self.run_id = run_id
        self.picture = RunPicture(run_id)
        self.diagram: Diagram = diagram(plan)
        self.details: dict[str, StepDetails] = {}
        self.activity: deque[RunEvent] = deque(maxlen=ACTIVITY)
        """Newest first."""
        self.tokens = 0
        self.market = ""
        self.started_at: datetime | None = None
        self.closed: str | None = None
        """How Temporal closed the run when its stream does not say (terminated)."""

    @property
    def last_offset(self) -> int:
        """The offset of the last event taken in (-1: none yet)."""
        return self.picture.last_offset

    @property
    def ended(self) -> bool:
        """The run has ended (nothing more will come)."""
        return self.picture.ended is not None or self.closed is not None

    @property
    def status(self) -> str:
        """``running``, ``waiting`` (a person must answer), or how it ended."""
        if self.picture.ended is not None:
            return self.picture.status
        if self.closed is not None:
            return self.closed
        waiting = any(row["status"] == "waiting" for row in self.picture.steps.values())
        return "waiting" if waiting else "running"

    def add(self, event: RunEvent) -> set[str]:
        """Take in one event; the parts of the page it changed."""
        self.picture.add(event)
        kind, data = event.kind, event.data
        if kind in LOGGED:
            self.activity.appendleft(event)
        if kind.startswith("text."):
            return {"writing"}
        if kind == "cost":
            self.tokens = int(data.get("tokens") or self.tokens)
            return {"head"}
        if kind.startswith("step.") and event.step:
            self._step(event)
            return {"head", "steps", "writing"} | ({"activity"} if kind in LOGGED else set())
        if kind in LOGGED:
            return {"activity"}
        if kind == "run.ended":
            return {"head", "steps", "writing"}
        return {"head"}

    def _step(self, event: RunEvent) -> None:
        step, data = event.step or "", event.data
        details = self.details.setdefault(step, StepDetails())
        if event.kind == "step.started":
            self.details[step] = StepDetails()
        elif event.kind == "step.waiting":
            details.request, details.approvers = data.get("request"), data.get("approvers") or []
        elif event.kind == "step.resumed":
            details.request = None
        elif event.kind in ("step.completed", "step.failed", "step.skipped", "step.cancelled"):
            details.request = None
            details.duration_ms, details.cost_usd = data.get("duration_ms"), data.get("cost_usd")
            details.output, details.offset = data.get("output"), event.offset
            details.note = event.text or ""

    def status_of(self, step: str) -> str:
        """A step's status: ``pending``, ``running``, ``waiting``, ``completed``, …"""
        return self.picture.steps.get(step, {}).get("status") or "pending"

    def writing(self) -> list[Writing]:
        """The texts being written now: per step drawn in a box that runs, its latest
        call's (a refine's producer and reviewer each; a retried call's latest take)."""
        latest: dict[str, str] = {}
        for call, step in self.picture.calls.items():  # (in the order the calls began)
            latest[step] = call
        shown = []
        for step, call in latest.items():
            drawn = self.diagram.drawn_as(step)
            box = self.diagram.owner[drawn] if drawn is not None else step
            if self.ended or self.status_of(box) not in ("running", "waiting"):
                continue
            text = self.picture.text.text(call)
            shown.append(Writing(step, text[-TEXT_CHARS:], len(text) > TEXT_CHARS))
        return shown

    def lit(self) -> set[str]:
        """The ids drawn that are at work now: running steps, and the parts writing."""
        on = {step for step, row in self.picture.steps.items() if row["status"] == "running"}
        for writing in self.writing():
            drawn = self.diagram.drawn_as(writing.step)
            if drawn is not None:
                on.add(drawn)
        return on


async def events_so_far(client: Client, run_id: str) -> list[RunEvent]:
    """The run's kept events, read with the stream's Query (which writes nothing into the
    run's history), as many answers as it takes."""
    events: list[RunEvent] = []
    offset = 0
    while True:
        fresh = [e for e in await read_kept(client, run_id, offset) if e.offset >= offset]
        if not fresh:
            return events
        events += fresh
        offset = fresh[-1].offset + 1
