"""Pinning an MCP tool into the plan at compile time: the server's listing is read once
per server and the tool's schema and description are copied into the ``ToolSpec``, so a
run never depends on what a live server says later (replay included)."""

from __future__ import annotations

from typing import Any

from podium.activities.errors import ToolNotConfigured, ToolUnavailable
from podium.activities.tools.mcp import STRAY_OUTPUT
from podium.activities.tools.mcp_env import UNSET_VARIABLE
from podium.activities.tools.mcp_listing import ListedTool, list_tools_now
from podium.compiler.catalog_tools import ToolEntry
from podium.compiler.problems import Reporter, suggest
from podium.compiler.settings import check_schema
from podium.compiler.yamlfile import Loc, YamlDocument

_listings: dict[tuple[Any, ...], list[ListedTool] | str] = {}
"""Per compiling process: each server is asked once (a failure is remembered too)."""


def pin_mcp_tool(
    report: Reporter, name: str, entry: ToolEntry, doc: YamlDocument, loc: Loc
) -> dict[str, Any] | None:
    """The ``ToolSpec`` fields of MCP tool ``name`` (None, with a problem, if it cannot be)."""
    mcp = entry.mcp
    assert mcp is not None
    env = tuple(sorted((mcp.env or {}).items()))
    key = (tuple(mcp.command) if mcp.command else None, mcp.url, env)
    if key not in _listings:
        try:
            _listings[key] = list_tools_now(mcp.command, mcp.url, mcp.env)
        except (ToolNotConfigured, ToolUnavailable) as exc:
            _listings[key] = str(exc)
    listing = _listings[key]
    if isinstance(listing, str):
        report.problem(
            doc,
            loc + ("mcp",),
            f"tool {name!r}: {listing}",
            "make the server print its banners and logs to stderr (print(..., "
            "file=sys.stderr), or logging to stderr)"
            if STRAY_OUTPUT in listing
            else "the server is started here too, to read its tools: set the variable "
            "where you compile as well as on the workers"
            if UNSET_VARIABLE in listing
            else "check the command (or URL) and that the server's package is installed "
            "where you compile and on the workers",
        )
        return None
    wanted = mcp.tool or name
    found = next((tool for tool in listing if tool.name == wanted), None)
    if found is None:
        report.problem(
            doc,
            loc + ("mcp", "tool"),
            f"tool {name!r}: the MCP server has no tool {wanted!r}",
            suggest(wanted, [t.name for t in listing], "tools on that server"),
        )
        return None
    if found.destructive and not entry.side_effects:
        report.problem(
            doc,
            loc + ("mcp",),
            f"tool {name!r}: its MCP server marks {wanted!r} destructive (destructiveHint), "
            "and the catalog does not say side_effects: true",
            "add side_effects: true, with approval: (a person approves each call) or "
            "compensate: (a tool that undoes it if the run fails) unless it is only the "
            "undo of another tool",
        )
        return None
    parameters = entry.parameters or found.parameters
    before = len(report.problems)
    check_schema(
        report, doc, loc + ("mcp",), parameters, f"tool {name!r}'s schema (from its server)"
    )
    if len(report.problems) > before:
        return None
    return {
        "mcp_command": list(mcp.command) if mcp.command else None,
        "mcp_url": mcp.url,
        "mcp_tool": found.name,
        "mcp_env": dict(mcp.env) if mcp.env else None,
        "parameters": parameters,
        "description": entry.description or found.description,
    }
