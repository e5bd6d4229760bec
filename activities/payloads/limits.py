"""Temporal's payload limit, and whether this worker has a store that lifts it.

Without a payload store, Temporal refuses any payload over 2 MB — and when a workflow's
command carries one, its task fails and is retried for ever while the run sits Running.
So, only when this worker has no store, Podium measures what it is about to send (an
agent call's input, a child's input, the run's result, an agent's answer) and fails that
step at once with ``PayloadTooLarge`` / ``AnswerTooLarge``, naming the step, the size and
the setting to change. With a store nothing is measured (the store takes up to 50 MB).

Who decides: an activity asks its own worker's converter (``worker_has_store``); a run
carries the decision of the client that started it (``RunInput.payload_store``, set by
``start_run``; ``run_uses_store`` scopes it to the run's tasks), so two workers with
different converters in one process (tests, a ``PodiumPlugin`` beside ``podium worker``)
never decide for each other. ``use_store`` — the process-wide setting ``build_workers``
records — is only the fallback: for runs started before the run input carried it, and
hand-written workflows.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from temporalio import activity
from temporalio.contrib.pydantic import pydantic_data_converter

PAYLOAD_LIMIT = 2 * 1024 * 1024
"""Temporal's default per-payload limit (the server's ``limit.blobSize.error``)."""
HEADROOM = 16 * 1024
"""Left for the envelope Temporal adds around a payload."""

_process_default = False
_run_store: ContextVar[bool | None] = ContextVar("podium_run_payload_store", default=None)


def use_store(in_use: bool) -> None:
    """Record whether this process's converter stores large payloads (workers call it):
    the fallback when neither a run nor an activity's worker says."""
    global _process_default
    _process_default = in_use


def run_uses_store(in_use: bool | None) -> None:
    """Scope a run's decision (its input's ``payload_store``) to the current task and the
    tasks it starts (the interpreter calls it first thing); None keeps the fallback."""
    _run_store.set(in_use)


def worker_has_store() -> bool | None:
    """Whether the worker running the current activity stores large payloads; None
    outside an activity."""
    try:
        return activity.client().data_converter.external_storage is not None
    except RuntimeError:
        return None


def store_in_use() -> bool:
    """Whether large payloads go to a store here: the current run's decision, else the
    current activity's worker's, else the process's."""
    for decided in (_run_store.get(), worker_has_store()):
        if decided is not None:
            return decided
    return _process_default


def payload_bytes(value: Any) -> int:
    """Size of ``value`` as one payload (before any codec)."""
    return int(pydantic_data_converter.payload_converter.to_payloads([value])[0].ByteSize())


def oversized(value: Any) -> int | None:
    """Size of ``value`` when it is too big to send (no store here); None when it fits."""
    if store_in_use():
        return None
    size = payload_bytes(value)
    return size if size > PAYLOAD_LIMIT - HEADROOM else None


def megabytes(size: int) -> str:
    """``2.3 MB`` (MiB, as Temporal counts them)."""
    return f"{size / (1024 * 1024):.1f} MB"


HINT = (
    "set a payload store on clients and workers (PODIUM_PAYLOAD_STORE=s3://bucket or "
    "file:/dir; `podium dev` has one) so large values stay out of the history "
    "(docs/long-runs.md)"
)
