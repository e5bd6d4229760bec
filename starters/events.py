"""Reading a run's event stream from outside: ``podium.subscribe``.

    async for event in podium.subscribe(client, "support_triage-1a2b3c4d"):
        if event.kind == "text.delta":
            print(event.text, end="", flush=True)

Events come in order, each with its ``offset``; pass the last one you saw as ``after``
to resume without gaps or repeats (``podium serve`` does, from ``Last-Event-ID``). The
iterator follows the run across continue-as-new and ends after the run's last event
(``run.ended``), reading what is left from the closed run. Subscribing makes the run's
agents stream their text from their next call on (``RunInput.follow`` does it from the
first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from podium.activities.run_events import TOPIC, RunEvent
from temporalio.client import Client
from temporalio.contrib.workflow_streams import WorkflowStreamClient

POLL_EVERY = timedelta(milliseconds=100)
"""How soon a caught-up subscriber asks again (each ask is an Update in the run's
history, so not much sooner)."""


async def subscribe(
    client: Client, run_id: str, *, after: int | None = None
) -> AsyncIterator[RunEvent]:
    """The events of run ``run_id`` after offset ``after`` (None: from the first kept),
    as they happen, until the run has ended.

    Args:
        client: a client of the run's namespace (with the data converter that reads its
            payloads: ``podium.activities.connection.connect`` gives one).
        run_id: the run's workflow id.
        after: the offset of the last event already seen.
    """
    stream = WorkflowStreamClient.create(client, run_id)
    start = 0 if after is None else after + 1
    async for item in stream.subscribe(TOPIC, from_offset=start, poll_cooldown=POLL_EVERY):
        event = RunEvent.model_validate(item.data)
        event.offset = item.offset
        yield event
        if event.kind == "run.ended":
            return
