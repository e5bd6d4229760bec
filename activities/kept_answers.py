"""Answers a worker got from a provider, kept a little while by their activity (its run
and activity id), so that the same activity run again on this worker is answered from
here and the provider is not paid twice.

Temporal runs an attempt again when it did not hear how the last run ended: its worker's
report was lost — the Temporal server was away (a restart, a network cut) until the
attempt's heartbeat timeout had passed on the server — or the report could not be encoded
(the payload store was down, ``pending_answers``). The provider had answered by then.
A run of the same attempt that lands on the worker that got the answer returns it
(``worker_retries`` says it was run again); one on another worker asks the provider
again under the same idempotency key. A killed worker keeps nothing.

Answers are kept ``KEEP_S`` after they were given, ``KEEP_BYTES`` of them at most
(estimated from their output tokens).
"""

from __future__ import annotations

import time
from collections import OrderedDict

from podium.activities.contracts import AgentResult
from temporalio import activity

KEEP_S = 180.0
"""How long an answer is kept: an outage, the heartbeat timeout and Temporal's backoff."""
KEEP_BYTES = 32 * 1024 * 1024
"""Most bytes of answers kept (estimated: 4 per output token, 1 KB at least)."""

_kept: OrderedDict[tuple[str, str], tuple[float, int, AgentResult]] = OrderedDict()
_bytes = 0


def kept() -> AgentResult | None:
    """The answer this worker got in an earlier run of the current activity, if kept."""
    _expire()
    if activity.info().attempt == 1:  # its first run: nothing can be kept
        return None
    entry = _kept.get(_activity())
    return entry[2] if entry is not None else None


def keep(result: AgentResult) -> None:
    """Keep ``result`` as the current activity's answer (again: for longer)."""
    global _bytes
    key = _activity()
    old = _kept.pop(key, None)
    if old is not None:
        _bytes -= old[1]
    size = max(1024, 4 * result.usage.output_tokens)
    _kept[key] = (time.monotonic() + KEEP_S, size, result)
    _bytes += size
    _expire()


def _activity() -> tuple[str, str]:
    info = activity.info()
    return (info.workflow_run_id or "", info.activity_id)


def _expire() -> None:
    global _bytes
    now = time.monotonic()
    while _kept:
        expires, size, _ = next(iter(_kept.values()))
        if expires > now and _bytes <= KEEP_BYTES:
            break
        _kept.popitem(last=False)
        _bytes -= size
