"""One log line, not a traceback, when a worker cannot decrypt a run's data.

A worker without the key a client encrypted with fails the run's workflow task (or the
activity) on every retry, and the SDK logs each failure with its traceback — which says
nothing the message does not. ``KeyFailureLog`` rewrites those records into one line:
which run, which key, which variable to set on this worker. The task is still failed
and retried (the run waits, nothing is lost); only the log changes.
"""

from __future__ import annotations

import logging
from typing import Any

from podium.activities.payloads.codec import UnknownEncryptionKey

SDK_LOGGERS = (
    "temporalio.worker._workflow",  # "Failed handling activation on workflow …"
    "temporalio.activity",  # "Completing activity as failed"
)
"""Where the SDK logs a failed workflow task or activity attempt with its traceback."""


class KeyFailureLog(logging.Filter):
    """Rewrites a record whose exception comes from a missing key into one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = _key_error(record.exc_info)
        if error is None:
            return True
        record.msg = "%s: this worker cannot decode its data: it is %s; %s (the task is retried)"
        record.args = (_where(record), error.problem("this worker"), error.fix("this worker"))
        record.exc_info = None
        record.exc_text = None
        return True


def install() -> None:
    """Put ``KeyFailureLog`` on the SDK's worker loggers (once)."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeyFailureLog) for f in logger.filters):
            logger.addFilter(KeyFailureLog())


def _key_error(exc_info: Any) -> UnknownEncryptionKey | None:
    error: BaseException | None = exc_info[1] if isinstance(exc_info, tuple) else None
    while error is not None and not isinstance(error, UnknownEncryptionKey):
        error = error.__cause__ or error.__context__
    return error


def _where(record: logging.LogRecord) -> str:
    activity = getattr(record, "temporal_activity", None)
    if isinstance(activity, dict):
        return f"activity {activity.get('activity_type')} of run {activity.get('workflow_id')}"
    run_id = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
    return f"workflow task of run (run id {run_id})"
