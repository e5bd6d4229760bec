"""One upstream read of a run's events, shared by every HTTP client watching it.

Each poll of a subscriber is an Update in the run's history, so ``podium serve`` reads a
run once (``RunFeed``, one ``podium.subscribe``) however many browsers watch it, and
hands the events to each of them from where that client is (``RunFeed.events``):

- the feed keeps the last ``BUFFER`` events it read, so a client that joins late or
  reconnects with ``Last-Event-ID`` gets what it missed from there, then the live events
  — in order, without gaps or repeats: each client only moves its own offset forward;
- a client further behind than the buffer catches up with the stream's Query, which
  costs the run no history (``read_kept``), until it reaches the buffer;
- the upstream ends when the run has ended (the feed stays, to answer late joiners, until
  nobody has watched it for ``IDLE_S``) or when nobody has watched it for ``IDLE_S``; a
  failed upstream ends its clients' streams, and their reconnects start a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from bisect import bisect_left
from collections.abc import AsyncGenerator, Callable

from podium.activities.run_events import TOPIC, RunEvent
from podium.starters.events import subscribe
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.workflow_streams import PollInput, PollResult

BUFFER = 1_000
"""Events a feed keeps for clients that join late (it trims back to this at twice)."""
IDLE_S = 30.0
"""How long a feed nobody watches goes on (a reconnecting client finds it there)."""
POLL_QUERY = "__temporal_workflow_stream_poll"
"""Workflow Streams' read of the kept events: a Query, not an Update (no history)."""

log = logging.getLogger("podium.serve")


class FeedFailed(Exception):
    """The upstream read of a run's events failed; its clients should reconnect."""


async def read_kept(client: Client, run_id: str, from_offset: int) -> list[RunEvent]:
    """The run's kept events from ``from_offset`` on (as many as one answer holds, about
    1 MB), read with the stream's Query: unlike a subscriber's poll it writes nothing
    into the run's history. Offsets the run no longer keeps are skipped."""
    result = await client.get_workflow_handle(run_id).query(
        POLL_QUERY, PollInput(topics=[TOPIC], from_offset=from_offset), result_type=PollResult
    )
    converter = client.data_converter.payload_converter
    events = []
    for item in result.items:
        payload = Payload()  # the stream's wire form: base64 of the serialized Payload
        payload.ParseFromString(base64.b64decode(item.data))
        event = RunEvent.model_validate(converter.from_payload(payload))
        event.offset = item.offset
        events.append(event)
    return events


def _offset(event: RunEvent) -> int:
    return event.offset


class RunFeed:
    """The one upstream subscription to a run, and the events it has read lately."""

    def __init__(
        self,
        client: Client,
        run_id: str,
        start: int,
        *,
        idle_s: float = IDLE_S,
        on_close: Callable[[RunFeed], None] = lambda feed: None,
    ) -> None:
        self.client = client
        self.run_id = run_id
        self.start = start
        """The first offset the buffer answers for (older ones: ``read_kept``)."""
        self.end = start
        """The offset after the last event read."""
        self.done = False
        """The upstream has finished: the run ended, it failed, or the feed was closed."""
        self.error: BaseException | None = None
        self.watchers = 0
        self._events: list[RunEvent] = []
        self._changed = asyncio.Event()
        self._idle_s = idle_s
        self._on_close = on_close
        self._idle: asyncio.Task[None] | None = None
        self._upstream = asyncio.create_task(self._read(), name=f"podium serve: {run_id}")
        self._close_if_unwatched()  # a feed nobody comes to read closes too

    async def _read(self) -> None:
        after = self.start - 1 if self.start > 0 else None
        try:
            async for event in subscribe(self.client, self.run_id, after=after):
                self._events.append(event)
                self.end = event.offset + 1
                if len(self._events) > 2 * BUFFER:
                    self.start = self._events[-BUFFER - 1].offset + 1
                    del self._events[:-BUFFER]
                self._wake()
        except Exception as exc:  # noqa: BLE001 - said to the clients, who reconnect
            log.warning("reading the events of run %s failed: %s", self.run_id, exc)
            self.error = exc
            self._on_close(self)  # a reconnect gets a fresh upstream
        finally:
            self.done = True
            self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def events(self, after: int | None) -> AsyncGenerator[RunEvent, None]:
        """The run's events after offset ``after`` (None: from the first kept), as they
        come, until ``run.ended`` (or the upstream's end).

        Raises:
            FeedFailed: the upstream read failed (after the events it had read).
        """
        cursor = 0 if after is None else after + 1
        self.watchers += 1
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        try:
            while True:
                changed = self._changed
                if cursor < self.start:  # older than the buffer: catch up by Query
                    kept = await read_kept(self.client, self.run_id, cursor)
                    fresh = [e for e in kept if e.offset >= cursor]
                    if not fresh:  # the run keeps nothing older: go on from the buffer
                        cursor = self.start
                        continue
                else:
                    fresh = self._events[bisect_left(self._events, cursor, key=_offset) :]
                for event in fresh:
                    yield event
                    cursor = event.offset + 1
                    if event.kind == "run.ended":
                        return
                if fresh:
                    continue
                if self.done:
                    if self.error is not None:
                        raise FeedFailed(f"reading run {self.run_id}'s events: {self.error}")
                    return
                await changed.wait()
        finally:
            self.watchers -= 1
            self._close_if_unwatched()

    def _close_if_unwatched(self) -> None:
        """Close the feed once nobody has watched it for ``idle_s`` (a client that comes
        meanwhile cancels that)."""
        if self.watchers == 0 and self._idle is None:
            self._idle = asyncio.create_task(self._close_when_idle())

    async def _close_when_idle(self) -> None:
        await asyncio.sleep(self._idle_s)
        self.close()

    def close(self) -> None:
        """Stop reading the run (its buffered events go with the feed)."""
        self._on_close(self)
        self._upstream.cancel()
        if self._idle is not None and self._idle is not asyncio.current_task():
            self._idle.cancel()


class RunFeeds:
    """The feeds of the runs someone watches: at most one per run."""

    def __init__(self, client: Client, *, idle_s: float = IDLE_S) -> None:
        self.client = client
        self.idle_s = idle_s
        self._feeds: dict[str, RunFeed] = {}

    def events(self, run_id: str, after: int | None) -> AsyncGenerator[RunEvent, None]:
        """Run ``run_id``'s events after offset ``after``, from its one feed."""
        feed = self._feeds.get(run_id)
        if feed is None:
            start = 0 if after is None else after + 1
            feed = RunFeed(self.client, run_id, start, idle_s=self.idle_s, on_close=self._drop)
            self._feeds[run_id] = feed
        return feed.events(after)

    def watched(self) -> dict[str, int]:
        """Run id → clients watching it, for each run with a feed."""
        return {run_id: feed.watchers for run_id, feed in self._feeds.items()}

    def _drop(self, feed: RunFeed) -> None:
        if self._feeds.get(feed.run_id) is feed:
            del self._feeds[feed.run_id]

    def close(self) -> None:
        """Stop every feed (the server is shutting down)."""
        for feed in list(self._feeds.values()):
            feed.close()
