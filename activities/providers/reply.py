"""What a provider hands back to ``run_agent``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from activities.contracts import Usage


@dataclass
class ProviderReply:
    """One provider answer, before cost and latency are added."""

    output: Any
    model: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    offline: bool = False
