"""What a run tells its watchers: the events of its stream, and where a call streams to.

Every run (``PodiumRun``) hosts one stream on Temporal's Workflow Streams: the workflow
publishes what happens to its steps, people, tools, supervisor and spend; an agent call's
activity publishes the text the model writes, in batches, as it comes. Subscribers read
it by offset (``podium.subscribe``, ``podium watch``, ``podium serve``'s
``GET /runs/{id}/events``) and resume from the last offset they saw.

Text is published per *take*: each time an activity starts producing an answer (a first
try, a provider retry, a worker's re-run after a crash) it opens a take with a new id
(``text.start``) and its deltas carry that id. A take supersedes every earlier take of
the same call, and a failed take is retracted (``text.retract``), so a reader that keeps,
per call, only the deltas of the latest take ends with exactly the final answer —
whatever was retried, killed or arrived late (``TextAssembly``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from podium.activities.contract_base import Contract
from pydantic import Field

TOPIC = "events"
"""The one Workflow Streams topic a run publishes on (offsets are the stream's)."""

EventKind = Literal[
    "run.started",
    "run.continued",
    "run.ended",
    "step.started",
    "step.completed",
    "step.failed",
    "step.skipped",
    "step.cancelled",
    "step.waiting",
    "step.resumed",
    "text.start",
    "text.delta",
    "text.retract",
    "tool.call",
    "tool.result",
    "supervisor.decision",
    "cost",
]


class RunEvent(Contract):
    """One event of a run's stream."""

    kind: EventKind
    at: datetime
    """When it happened (the workflow's time, or the worker's for text)."""
    offset: int = -1
    """Its place in the run's stream (set by subscribers; -1 before it is read)."""
    step: str | None = None
    """The step it is about (a nested step's id inside maps and routes)."""
    attempt: int | None = None
    """The provider attempt of a call's text, or a step's attempts so far."""
    call: str | None = None
    """The agent call a text event belongs to (one id per call, shared by its retries)."""
    take: str | None = None
    """Text events: the take (one try at producing the answer) the text belongs to."""
    text: str | None = None
    """``text.delta``: the text written; other kinds: a one-line description."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Kind-specific: a step's output and status, a tool call's arguments and result, a
    supervisor's choice and reason, the run's cost so far, the run's output."""


class TextAssembly:
    """Assembles the streamed text of each call from a run's events, as a reader must:
    per call, only the latest take's deltas count; a retracted take counts for nothing."""

    def __init__(self) -> None:
        self.takes: dict[str, str] = {}
        """Call → its current take."""
        self.texts: dict[str, list[str]] = {}
        """Call → the current take's deltas so far."""
        self.retracted: set[str] = set()

    def add(self, event: RunEvent) -> str | None:
        """Take in ``event``; return the call whose text it changed (None if none)."""
        call, take = event.call, event.take
        if call is None or take is None or not event.kind.startswith("text."):
            return None
        if event.kind == "text.start":
            if take in self.retracted:
                return None
            self.takes[call] = take
            self.texts[call] = []
            return call
        if event.kind == "text.retract":
            self.retracted.add(take)
            if self.takes.get(call) == take:
                self.texts[call] = []
                return call
            return None
        if self.takes.get(call) != take or take in self.retracted:  # superseded or retracted
            return None
        self.texts[call].append(event.text or "")
        return call

    def text(self, call: str) -> str:
        """The text of ``call`` as it stands."""
        return "".join(self.texts.get(call, []))
