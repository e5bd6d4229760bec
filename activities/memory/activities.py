"""The memory activities: ``podium.memory_read`` and ``podium.memory_write``.

Run on the orchestration queue, against the store ``PODIUM_MEMORY_URL`` names
(``settings``). A read's result is recorded in the run's history, so a replay sees the
facts the run saw, whatever the store holds by then. A write carries an idempotency key
(``MemoryWriteRequest.write_key``): a retried or replayed write keeps the fact once.
Values are encoded with the worker's own payload codec (``values``), so with encryption
on the store holds ciphertext; a search then decodes the subject's facts here instead of
asking the database, which holds no text to search.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from podium.activities.memory.contracts import (
    MemoryReadRequest,
    MemoryReadResult,
    MemoryWriteRequest,
    MemoryWriteResult,
    Remembered,
)
from podium.activities.memory.settings import open_store
from podium.activities.memory.store import NewFact, StoredFact, matched, search_words
from podium.activities.memory.values import decode, encode, encrypts, fact_text
from podium.activities.payloads.converter import data_converter
from temporalio import activity
from temporalio.converter import DataConverter

SCAN_LIMIT = 5000
"""With encryption on, a search decodes at most this many of the subject's newest facts."""


@activity.defn(name="podium.memory_read")
async def read_memory(request: MemoryReadRequest) -> MemoryReadResult:
    """The subject's newest facts, or those sharing most words with ``search``."""
    converter = _converter()
    store = await asyncio.to_thread(open_store)
    now = datetime.now(UTC)
    words = search_words(request.search or "")
    if words and encrypts(converter):  # nothing searchable at rest: search here
        stored = await asyncio.to_thread(store.recent, request.subject, SCAN_LIMIT, now)
        found: list[tuple[int, StoredFact, object]] = []
        for fact in stored:  # newest first; sorted() keeps that order among equal scores
            value = await decode(converter, fact.value)
            score = matched(fact_text(value).casefold(), words)
            if score:
                found.append((score, fact, value))
        found.sort(key=lambda item: -item[0])
        chosen = found[: request.limit]
        return MemoryReadResult(facts=[_remembered(f, v) for _, f, v in chosen], searched=True)
    if words:
        stored = await asyncio.to_thread(store.search, request.subject, words, request.limit, now)
    else:
        stored = await asyncio.to_thread(store.recent, request.subject, request.limit, now)
    facts = [_remembered(fact, await decode(converter, fact.value)) for fact in stored]
    return MemoryReadResult(facts=facts, searched=bool(words))


@activity.defn(name="podium.memory_write")
async def write_memory(request: MemoryWriteRequest) -> MemoryWriteResult:
    """Keep the fact once (whatever the retries), unless its subject was forgotten since
    the run started; expired facts are deleted on the way."""
    converter = _converter()
    store = await asyncio.to_thread(open_store)
    value = await encode(converter, request.fact)
    text = None if encrypts(converter) else fact_text(request.fact).casefold()
    expires = (
        request.written_at + timedelta(seconds=request.ttl_s) if request.ttl_s is not None else None
    )
    fact = NewFact(
        subject=request.subject,
        write_key=request.write_key,
        value=value,
        search_text=text,
        run_id=request.run_id,
        step=request.step,
        written_at=request.written_at,
        expires_at=expires,
        run_started=request.run_started,
    )
    outcome = await asyncio.to_thread(store.write, fact)
    await asyncio.to_thread(store.purge_expired, datetime.now(UTC))
    if outcome == "forgotten":
        activity.logger.info(
            "memory: not kept (step %s of run %s): its subject was forgotten after the run started",
            request.step,
            request.run_id,
        )
    return MemoryWriteResult(outcome=outcome)


def _remembered(fact: StoredFact, value: object) -> Remembered:
    return Remembered(
        fact=value, run=fact.run_id, step=fact.step, at=fact.written_at, expires=fact.expires_at
    )


def _converter() -> DataConverter:
    """The worker's converter (its codec holds the keys); outside a worker, the
    environment's."""
    try:
        return activity.client().data_converter
    except RuntimeError:
        return data_converter()
