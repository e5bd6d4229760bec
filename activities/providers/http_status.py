"""HTTP answers of a provider, classified into the error tree (``activities.errors``):
which status is which error, and how long a ``Retry-After`` asks to wait."""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import Any

from podium.activities.errors import (
    AgentCallError,
    ProviderAuthError,
    ProviderConflict,
    ProviderRateLimited,
    ProviderRejectedRequest,
    ProviderRequestTimeout,
    ProviderServerError,
)


def worth_retrying(status: int) -> bool:
    """HTTP statuses that may succeed when sent again (408, 409, 429, 5xx)."""
    return status in (408, 409, 429) or status >= 500


def error_for_status(status: int, message: str, headers: Any = None) -> AgentCallError:
    """Classify an HTTP error status into the taxonomy."""
    retry_after = parse_retry_after(headers) if headers is not None else None
    cls: type[AgentCallError]
    if status == 408:
        cls = ProviderRequestTimeout
    elif status == 409:
        cls = ProviderConflict
    elif status == 429:
        cls = ProviderRateLimited
    elif status >= 500:
        cls = ProviderServerError
    elif status in (401, 403):
        cls = ProviderAuthError
    else:
        cls = ProviderRejectedRequest
    if not cls.retryable:
        retry_after = None
    return cls(f"HTTP {status}: {message}", retry_after=retry_after, status=status)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            seconds = float(ms) / 1000.0
            if math.isfinite(seconds):
                return max(0.0, seconds)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
