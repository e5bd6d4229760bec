"""Durations as people write them in specs: ``90``, ``30s``, ``5m``, ``2h``, ``1d``, ``1h30m``."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_SECONDS = 100 * 365 * 86400.0
"""Longer is a typo (and overflows Temporal's and Python's time types)."""


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; raise ``ValueError`` with the accepted forms if it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m, 2h or 1d")
        if value <= 0:
            raise ValueError(f"duration must be positive, got {value}")
        return _at_most(value, value)
    text = value.strip().replace(" ", "")
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text or total <= 0:
        raise ValueError(
            f"{value!r} is not a duration; write e.g. 30s, 5m, 2h, 1d, 1h30m or a number of seconds"
        )
    return _at_most(total, value)


def _at_most(seconds: float, value: str | int | float) -> float:
    if seconds > MAX_SECONDS:
        raise ValueError(f"duration {value!r} is longer than 100 years (36500d)")
    return float(seconds)


def format_duration(seconds: float) -> str:
    """``5400`` → ``1h30m``; ``0.25`` → ``250ms`` (the spec's own notation)."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    rest = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)
