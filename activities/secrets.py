"""Keep the worker's secrets out of everything that leaves an activity or reaches a log.

A provider may quote the caller's key back in its error text ("Incorrect API key
provided: sk-…"); that text would otherwise travel into the failure (workflow history,
the server's database, the Web UI) and into worker logs. Every secret value this worker
holds is replaced by ``***`` in error messages and details (``scrub``) and in every log
record (``ScrubbingFilter``).

The secrets are the values of the environment variables providers name as
``api_key_env``, plus any variable whose name says it holds one (``*KEY*``, ``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``), and any ``Bearer`` token in the text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any

from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

REDACTED = "***"
MIN_LENGTH = 6
"""Shorter values are not treated as secrets (they would redact ordinary words)."""
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{6,}")
_named: set[str] = set()


def register(env_name: str | None) -> None:
    """Treat the value of ``env_name`` as a secret (a provider's ``api_key_env``)."""
    if env_name:
        _named.add(env_name)


def secret_values() -> list[str]:
    """The secret values in this process's environment, longest first."""
    values = {
        value
        for name, value in os.environ.items()
        if (name in _named or _SECRET_NAME.search(name)) and len(value) >= MIN_LENGTH
    }
    return sorted(values, key=len, reverse=True)


def scrub(text: str) -> str:
    """``text`` with every secret value and bearer token replaced by ``***``."""
    for value in secret_values():
        if value in text:
            text = text.replace(value, REDACTED)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def scrub_value(value: Any) -> Any:
    """``scrub`` applied to every string inside a JSON-like value."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value


class ScrubbingFilter(logging.Filter):
    """A handler filter that scrubs each record's message and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = scrub(text), None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def scrub_logs(logger: logging.Logger | None = None) -> None:
    """Install ``ScrubbingFilter`` on every handler of ``logger`` (default: root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(ScrubbingFilter())


class ScrubbingInterceptor(Interceptor):
    """Worker interceptor: no failure leaves an activity carrying a secret."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ScrubbingActivityInbound(next)


class _ScrubbingActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except ApplicationError as exc:
            message = scrub(exc.message)
            details = scrub_value(list(exc.details))
            if message == exc.message and details == list(exc.details) and _clean_chain(exc):
                raise
            raise ApplicationError(
                message,
                *details,
                type=exc.type,
                non_retryable=exc.non_retryable,
                next_retry_delay=exc.next_retry_delay,
                category=exc.category,
            ) from None
        except (asyncio.CancelledError, CancelledError):
            raise
        except Exception as exc:
            text = str(exc)
            if scrub(text) == text and _clean_chain(exc):
                raise
            raise ApplicationError(scrub(text), type=type(exc).__name__) from None


def _clean_chain(exc: BaseException) -> bool:
    """Whether no exception chained to ``exc`` (cause or context, which Temporal sends
    along as the failure's cause) mentions a secret."""
    seen: set[int] = set()
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        text = str(link)
        if scrub(text) != text:
            return False
        link = link.__cause__ or link.__context__
    return True
