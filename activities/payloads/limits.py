"""Temporal's payload limit, and whether this worker has a store that lifts it.

Without a payload store, Temporal refuses any payload over 2 MB — and when a workflow's
command carries one, its task fails and is retried for ever while the run sits Running.
So, only when this worker has no store, Podium measures what it is about to send (an
agent call's input, a child's input, the run's result, an agent's answer) and fails that
step at once with ``PayloadTooLarge`` / ``AnswerTooLarge``, naming the step, the size and
the setting to change. With a store nothing is measured (the store takes up to 50 MB).

The flag is set once by ``workers.worker.build_workers`` from the client's converter;
it is configuration, not state (a worker that changes it between deploys changes only
whether an oversized value fails its step or is stored).
"""

from __future__ import annotations

from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter

PAYLOAD_LIMIT = 2 * 1024 * 1024
"""Temporal's default per-payload limit (the server's ``limit.blobSize.error``)."""
HEADROOM = 16 * 1024
"""Left for the envelope Temporal adds around a payload."""

_store_in_use = False


def use_store(in_use: bool) -> None:
    """Record whether this process's converter stores large payloads (workers call it)."""
    global _store_in_use
    _store_in_use = in_use


def store_in_use() -> bool:
    return _store_in_use


def payload_bytes(value: Any) -> int:
    """Size of ``value`` as one payload (before any codec)."""
    return int(pydantic_data_converter.payload_converter.to_payloads([value])[0].ByteSize())


def oversized(value: Any) -> int | None:
    """Size of ``value`` when it is too big to send (no store here); None when it fits."""
    if _store_in_use:
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
