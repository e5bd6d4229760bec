"""Listing an MCP server's tools when a spec is compiled (the list is pinned into the
plan): each tool's name, description, argument schema and whether the server marks it
destructive."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podium.activities.tools.mcp import session


@dataclass(frozen=True)
class ListedTool:
    """One tool of a server's listing."""

    name: str
    description: str
    parameters: dict[str, Any]
    destructive: bool = False
    """The server marks it destructive (``destructiveHint``, and not ``readOnlyHint``)."""


async def list_tools(
    command: Sequence[str] | None, url: str | None, env: dict[str, str] | None = None
) -> list[ListedTool]:
    """Every tool the server offers."""
    async with session(command, url, env=env) as s:
        listed = (await s.list_tools()).tools
    return [
        ListedTool(
            t.name,
            t.description or "",
            dict(t.input_schema or {"type": "object"}),
            destructive=bool(
                t.annotations is not None
                and t.annotations.destructive_hint is True
                and t.annotations.read_only_hint is not True
            ),
        )
        for t in listed
    ]


def list_tools_now(
    command: Sequence[str] | None, url: str | None, env: dict[str, str] | None = None
) -> list[ListedTool]:
    """``list_tools`` from synchronous code (the compiler), even inside a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, list_tools(command, url, env)).result()
