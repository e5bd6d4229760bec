"""Which tools this worker runs: with a ``--catalog``, only those its catalogs define.

A plan carries each tool's definition (its function path, URL, MCP command), and the
client that started the run wrote the plan. A worker started with catalogs runs a tool
call only when the tool's definition matches one of its own (same name, kind, function,
URL, method, auth variable, MCP command, environment or URL) — so a client cannot make it import an
arbitrary callable, start an arbitrary command or send a token elsewhere. A worker with
no catalog runs what plans carry (and says so when it starts).
"""

from __future__ import annotations

from podium.activities.tool_contracts import ToolSpec

_allowed: set[tuple[object, ...]] | None = None


def fingerprint(tool: ToolSpec) -> tuple[object, ...]:
    """What must match between a plan's tool and the worker's."""
    return (
        tool.name,
        tool.kind,
        tool.function,
        tool.method if tool.kind == "http" else None,
        tool.url,
        tool.auth_env,
        tuple(tool.mcp_command or ()),
        tool.mcp_url,
        tuple(sorted((tool.mcp_env or {}).items())),
    )


def allow_only(tools: list[tuple[object, ...]] | None) -> None:
    """Run only tools with these fingerprints (None: any tool a plan carries)."""
    global _allowed
    _allowed = None if tools is None else set(tools)


def refusal(tool: ToolSpec) -> str | None:
    """Why this worker will not run ``tool`` (None: it will)."""
    if _allowed is None or fingerprint(tool) in _allowed:
        return None
    return (
        f"tool {tool.name!r} is not defined, or is defined differently, in this worker's "
        "--catalog: the worker runs only the tools of its own catalogs"
    )
