"""How bench/streaming.py reads runs, and what it counts in what its readers end with.

A reader is a ``podium.subscribe`` (``Reader``) or a web client of ``podium serve``
(``read_sse``); either notes when each event came (``time.time()``). ``judge`` counts, per
run, whether each call's text assembles to its step's output, and the duplicated and
lost deltas.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from podium.workflows.state import RunResult
from temporalio.client import Client

from podium import RunEvent, TextAssembly, subscribe

POLL = "__temporal_workflow_stream_poll"
"""The Update a subscriber polls a run's stream with (one per poll, in its history)."""


class Reader:
    """A subscriber (``podium.subscribe``) of one run: its events, and when each came."""

    def __init__(self, client: Client, run_id: str) -> None:
        self.run_id = run_id
        self.events: list[RunEvent] = []
        self.seen: list[float] = []
        self.task = asyncio.create_task(self._read(client))

    async def _read(self, client: Client) -> None:
        async for event in subscribe(client, self.run_id):
            self.seen.append(time.time())
            self.events.append(event)


@dataclass
class Tally:
    """What the readers of a scenario ended with."""

    runs: int = 0
    equal: int = 0
    """Runs whose every call's assembled text equals its step's output."""
    duplicated: int = 0
    lost: int = 0
    superseded: int = 0
    """Takes a later take of their call replaced (retracted or not)."""
    retracted: int = 0
    gaps: int = 0
    """Offsets a reader never got (events lost on the way)."""
    stale_chars: int = 0
    """The text of superseded takes: what a reader blind to takes would show twice."""
    latencies_ms: list[float] = field(default_factory=list)


def final_text(output: Any) -> str:
    """The text a reader should end with for a step's output (JSON unless a string)."""
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)


def judge(
    tally: Tally,
    events: list[RunEvent],
    result: RunResult,
    steps: tuple[str, ...],
    *,
    run_id: str = "",
    seen: list[float] | None = None,
    first_token: dict[str, float] | None = None,
) -> None:
    """Count what a reader of one run ended with (``events``) against its outputs.

    Per call of each of ``steps``: the reader keeps the deltas of the call's latest take
    (``TextAssembly``); walked in order against the step's output, each must go on
    exactly where the last one ended. A kept delta that repeats or strays from the
    answer, or any kept delta of a superseded or retracted take, is *duplicated*; a gap
    before a delta, an answer not reached by the end, or a step that streamed nothing, is
    a *lost* delta. Both 0 means each call's kept deltas are the answer, in order, once
    (which piece is blamed when they are not is a best guess). Offsets the reader never
    got are counted apart (``gaps``). With ``seen`` (when each event was read) and
    ``first_token`` (the stream server's, by call key), the delay from the first token
    of the last step's call to its first delta is noted too.
    """
    tally.runs += 1
    offsets = {e.offset for e in events}
    tally.gaps += max(offsets) + 1 - len(offsets)
    text = TextAssembly()
    for event in events:
        text.add(event)
    equal = True
    for step in steps:
        calls = dict.fromkeys(e.call for e in events if e.kind == "text.start" and e.step == step)
        final = final_text(result.state.step(step).output)
        if not calls:
            equal = False
            tally.lost += 1
        for call in calls:
            equal = _call(tally, [e for e in events if e.call == call], text, final) and equal
    tally.equal += equal
    if seen is not None and first_token is not None:
        for event, when in zip(events, seen, strict=True):
            if event.kind == "text.delta" and event.step == steps[-1]:
                sent = first_token[f"{run_id}/{event.call}"]
                tally.latencies_ms.append(1000 * (when - sent))
                break


def _call(tally: Tally, mine: list[RunEvent], text: TextAssembly, final: str) -> bool:
    """Count one call's takes and deltas (``mine``: its events); whether it assembled."""
    call = mine[0].call or ""
    takes = [e.take for e in mine if e.kind == "text.start"]
    retracted = {e.take for e in mine if e.kind == "text.retract"}
    tally.superseded += len(takes) - 1
    tally.retracted += len(retracted)
    tally.stale_chars += sum(
        len(e.text or "") for e in mine if e.kind == "text.delta" and e.take != takes[-1]
    )
    kept = text.takes.get(call)
    if kept in retracted or kept != takes[-1]:
        tally.duplicated += len(text.texts.get(call, []))
        tally.lost += 1
        return False
    at = 0
    for piece in text.texts[call]:
        if final.startswith(piece, at):
            at += len(piece)
        elif piece and final.find(piece, at) > at:
            tally.lost += 1
            at = final.find(piece, at) + len(piece)
        else:
            tally.duplicated += 1
    tally.lost += at < len(final)
    return text.text(call) == final


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def line(name: str, tally: Tally, extra: str = "", unit: str = "runs") -> str:
    """One row of the bench's table: ``tally`` (``unit``: what each of its readers read)."""
    delays = tally.latencies_ms
    gaps = f"  OFFSETS MISSING {tally.gaps}" if tally.gaps else ""
    latency = ""
    if delays:
        p50, p95 = percentile(delays, 0.5), percentile(delays, 0.95)
        latency = f"   first delta p50 {p50:4.0f} ms  p95 {p95:4.0f} ms"
    return (
        f"{name:<34} {tally.runs:>4} {unit}  text = output {tally.equal}/{tally.runs}  "
        f"duplicated {tally.duplicated}  lost {tally.lost}{gaps}{latency}{extra}"
    )


async def polls(client: Client, run_id: str) -> int:
    """How many times the run's stream was polled (accepted poll Updates in its history)."""
    history = await client.get_workflow_handle(run_id).fetch_history()
    return sum(
        1
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        == POLL
    )


async def read_sse(
    http: httpx.AsyncClient, run_id: str, connected: list[float]
) -> list[tuple[str, str, str, float]]:
    """A run's events read as a web client reads them from ``podium serve``: ``(id,
    event, data, when read)`` each; when the stream answered goes into ``connected``."""
    events, fields = [], {}
    async with http.stream("GET", f"/runs/{run_id}/events") as response:
        response.raise_for_status()
        connected.append(time.time())
        async for text in response.aiter_lines():
            if text:
                if not text.startswith(":"):
                    name, _, value = text.partition(":")
                    fields[name] = value.removeprefix(" ")
            elif "data" in fields:
                events.append((fields["id"], fields["event"], fields["data"], time.time()))
                fields = {}
    return events


def run_events(read: list[tuple[str, str, str, float]]) -> list[RunEvent]:
    """The ``RunEvent`` of each server-sent event of ``read_sse``."""
    events = []
    for offset, _, data, _ in read:
        event = RunEvent.model_validate_json(data)
        event.offset = int(offset)
        events.append(event)
    return events
