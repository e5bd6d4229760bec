"""Answers a worker got from a provider or a tool, kept a little while by their activity
(its run and activity id), so that the same activity run again on this worker is
answered from here: the provider is not paid twice, a tool not called twice.

Temporal runs an attempt again when it did not hear how the last run ended: its worker's
report was lost — the Temporal server was away (a restart, a network cut) until the
attempt's heartbeat timeout had passed on the server — or the report could not be encoded
(the payload store was down, ``pending_answers``). The provider or tool had answered by
then. A run of the same attempt that lands on the worker that got the answer returns it
(an agent's ``worker_retries`` says it was run again); one on another worker asks again
under the same idempotency key. A killed worker keeps nothing.

Answers are kept ``KEEP_S`` after they were given, ``KEEP_BYTES`` of them at most (as
their callers measure them).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from temporalio import activity

KEEP_S = 180.0
"""How long an answer is kept: an outage, the heartbeat timeout and Temporal's backoff."""
KEEP_BYTES = 32 * 1024 * 1024
"""Most bytes of answers kept."""

_kept: OrderedDict[tuple[str, str], tuple[float, int, Any]] = OrderedDict()
_bytes = 0


def kept() -> Any:
    """The answer this worker got in an earlier run of the current activity (None if it
    keeps none)."""
    _expire()
    if activity.info().attempt == 1:  # its first run: nothing can be kept
        return None
    entry = _kept.get(_activity())
    return entry[2] if entry is not None else None


def keep(result: Any, size: int) -> None:
    """Keep ``result`` (about ``size`` bytes) as the current activity's answer (again: for
    longer)."""
    global _bytes
    key = _activity()
    old = _kept.pop(key, None)
    if old is not None:
        _bytes -= old[1]
    size = max(1024, size)
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
