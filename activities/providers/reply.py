"""What a provider hands back to ``run_agent``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from podium.activities.contracts import Usage
from podium.activities.tool_contracts import ToolCall


@dataclass
class ProviderReply:
    """One provider answer, before cost and latency are added."""

    output: Any
    model: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    offline: bool = False
    tool_calls: list[ToolCall] = field(default_factory=list)
    text: str | None = None
    """What the model said beside its tool calls, if anything."""


def host_of(base_url: str) -> str:
    """``host:port`` of a provider's base URL (never its path or credentials)."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    return f"{host}:{parts.port}" if parts.port else host
