"""Circuit breaker per provider (per worker process).

    closed ──(error rate ≥ threshold over the window, ≥ min calls)──▶ open
    open ──(open_s elapsed)──▶ half-open: one probe call goes through
    half-open ──probe ok──▶ closed      half-open ──probe fails──▶ open

While open, calls fail at once with ``ProviderUnavailable`` (not retried), so the
workflow moves on to fallback agents instead of waiting on a provider that is down.
Each breaker's state is published as the ``podium_circuit_open`` gauge (1 = open or
half-open, 0 = closed) when it changes.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from podium.activities.contracts import CircuitSettings
from podium.activities.telemetry import set_circuit_gauge

logger = logging.getLogger("podium.circuit")


@dataclass
class CircuitBreaker:
    """One provider's breaker."""

    provider: str
    settings: CircuitSettings
    clock: Callable[[], float] = time.monotonic
    calls: deque[tuple[float, bool]] = field(default_factory=deque)
    opened_at: float | None = None
    probing: bool = False
    published: bool = False
    """Whether the gauge has been set once (later only changes are published)."""

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.settings.open_s else "open"

    def allow(self) -> bool:
        """Whether a call may go out now (a half-open breaker lets one probe through)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self.probing:
            self.probing = True
            return True
        return False

    def release(self) -> None:
        """Give back a probe that was let through but never made (another breaker refused
        the call, or it was cancelled): the next call may probe instead."""
        self.probing = False

    def record(self, ok: bool) -> None:
        """Count a finished call; open or close the circuit as needed."""
        was_open = self.opened_at is not None
        self._count(ok)
        is_open = self.opened_at is not None
        if is_open != was_open or not self.published:
            set_circuit_gauge(self.provider, is_open)
            self.published = True

    def _count(self, ok: bool) -> None:
        now = self.clock()
        if self.opened_at is not None:  # the probe's answer decides
            self.probing = False
            if ok:
                self.opened_at = None
                self.calls.clear()
                logger.warning("circuit for %s closed: probe call succeeded", self.provider)
            else:
                self.opened_at = now
                logger.warning("circuit for %s re-opened: probe call failed", self.provider)
            return
        self.calls.append((now, ok))
        while self.calls and now - self.calls[0][0] > self.settings.window_s:
            self.calls.popleft()
        failed = sum(1 for _, good in self.calls if not good)
        total = len(self.calls)
        if total >= self.settings.min_calls and failed / total >= self.settings.error_rate:
            self.opened_at = now
            logger.warning(
                "circuit for %s opened: %d of %d calls failed in %.0fs; failing fast for %.0fs",
                self.provider,
                failed,
                total,
                self.settings.window_s,
                self.settings.open_s,
            )


_breakers: dict[str, CircuitBreaker] = {}


def breaker_for(provider: str, settings: CircuitSettings) -> CircuitBreaker:
    """This worker process's breaker for ``provider``."""
    breaker = _breakers.get(provider)
    if breaker is None or breaker.settings != settings:
        breaker = _breakers[provider] = CircuitBreaker(provider, settings)
    return breaker
