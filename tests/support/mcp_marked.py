"""A small MCP server for tests of what Podium reads from a server's listing and hands a
stdio server (a test double at the tool's edge, written here): ``delete_entities`` is
marked destructive (``destructiveHint``) and takes other arguments than ``add_entity``
(an undo that needs a mapping, as server-memory's does), and ``environment`` says what
the server was started with.

    python -m tests.support.mcp_marked
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("marked")
_entities: dict[str, str] = {}


@server.tool()
def add_entity(name: str, kind: str) -> dict:
    """Add an entity."""
    _entities[name] = kind
    return {"added": name, "id": f"E-{len(_entities)}"}


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def delete_entities(entityNames: list[str]) -> dict:  # noqa: N803 (server-memory's name)
    """Delete entities by name (marked destructive)."""
    return {"deleted": [name for name in entityNames if _entities.pop(name, None)]}


@server.tool()
def environment() -> dict:
    """The names of the variables the server was started with, REGION's value and the
    length of API_TOKEN's (a token's value is never echoed)."""
    return {
        "names": sorted(os.environ),
        "region": os.environ.get("REGION"),
        "token_length": len(os.environ.get("API_TOKEN", "")),
    }


if __name__ == "__main__":
    server.run("stdio")
