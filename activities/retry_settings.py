"""How an agent or tool call is retried when it fails: ``RetrySettings`` and the defaults
behind them (see docs/resilience.md).

Durable like ``contracts``: written into workflow histories, so fields may be added
(optional, with defaults) but never renamed or removed.
"""

from __future__ import annotations

from podium.activities.contract_base import Contract
from pydantic import Field

DEFAULT_MAX_ATTEMPTS = 8
"""Provider attempts per call. At a 30% fault rate 8 attempts leave 0.3^8 ≈ 7 in 100,000
calls failed (bench/faults.py); with backoff 1, 2, 4, 8, 16, 30, 30 s they span ≈1.5 min."""
DEFAULT_MAX_ELAPSED_S = 600.0
"""A call gives up after 10 minutes, however many attempts are left (OpenAI's own client
allows one request 10 minutes)."""


class RetrySettings(Contract):
    """How one agent call is retried when the provider fails it (see docs/resilience.md).

    Attempts count only failures of the provider (an HTTP error, a timeout, a broken
    body): a call cut off by a dying worker is tried again without spending one.
    """

    max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=0)
    """0 = retry until it succeeds (compensations)."""
    initial_interval_s: float = Field(1.0, gt=0)
    backoff: float = Field(2.0, ge=1)
    max_interval_s: float = Field(30.0, gt=0)
    max_elapsed_s: float | None = Field(DEFAULT_MAX_ELAPSED_S, gt=0)
    """Total time cap of the call, every attempt and wait included (None: no cap)."""
