"""Following a run as a client does (``podium.subscribe``): its events as they come, and
each call's text as a reader assembles it (``TextAssembly``), take by take."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio.client import Client

from podium import RunEvent, TextAssembly, subscribe


@dataclass
class Take:
    """One take of a call's text, as its events tell it."""

    id: str
    text: str
    """Its deltas, joined."""
    deltas: int
    retracted: bool


class Follower:
    """A subscriber reading run ``run_id`` in the background from its first event."""

    def __init__(self, client: Client, run_id: str) -> None:
        self.events: list[RunEvent] = []
        self._reading = asyncio.create_task(self._read(client, run_id))

    async def _read(self, client: Client, run_id: str) -> None:
        async for event in subscribe(client, run_id):
            self.events.append(event)

    async def ended(self, timeout_s: float = 60) -> list[RunEvent]:
        """Every event of the run, once its last (``run.ended``) is read."""
        await asyncio.wait_for(self._reading, timeout_s)
        return self.events

    def of(self, kind: str, step: str | None = None) -> list[RunEvent]:
        """The events of ``kind`` so far (about ``step``, if given)."""
        return [e for e in self.events if e.kind == kind and step in (None, e.step)]

    def calls(self, step: str) -> list[str]:
        """The agent calls of ``step`` that streamed, in the order they began."""
        return list(dict.fromkeys(e.call for e in self.of("text.start", step) if e.call))

    def assembled(self, call: str) -> str:
        """The text of ``call`` as a reader ends with it."""
        text = TextAssembly()
        for event in self.events:
            text.add(event)
        return text.text(call)

    def takes(self, call: str) -> list[Take]:
        """The takes of ``call``, in the order they began."""
        retracted = {e.take for e in self.of("text.retract") if e.call == call}
        takes = {
            e.take: Take(e.take, "", 0, e.take in retracted)
            for e in self.of("text.start")
            if e.call == call and e.take
        }
        for event in self.of("text.delta"):
            take = takes.get(event.take or "")
            if event.call == call and take is not None:
                take.text += event.text or ""
                take.deltas += 1
        return list(takes.values())
