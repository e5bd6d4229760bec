"""Model providers: one module per provider kind, all with the same ``complete`` shape.

A provider turns an ``AgentCall`` into a ``ProviderReply``; it never retries (every
retry is a Temporal retry) and reports failures with the classes of
``activities.errors``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from podium.activities.contracts import AgentCall
from podium.activities.providers.function import complete as complete_function
from podium.activities.providers.openai import complete as complete_openai
from podium.activities.providers.reply import ProviderReply
from podium.activities.providers.scripted import complete as complete_scripted

Complete = Callable[[AgentCall], Awaitable[ProviderReply]]

PROVIDER_KINDS: dict[str, Complete] = {
    "openai": complete_openai,
    "scripted": complete_scripted,
    "function": complete_function,
}

__all__ = ["PROVIDER_KINDS", "ProviderReply"]
