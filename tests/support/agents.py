"""Function agents used by tests; workers import them by path (``tests.support.agents:…``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any


async def record_step(inputs: dict[str, Any]) -> dict[str, Any]:
    """A side-effecting step: log its start, work for a while, log its end."""
    log, step = Path(inputs["log"]), inputs["step"]
    with log.open("a") as f:
        f.write(f"start {step}\n")
    await asyncio.sleep(float(inputs.get("seconds", 1.0)))
    with log.open("a") as f:
        f.write(f"done {step}\n")
    return {"step": step}
