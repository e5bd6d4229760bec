"""A small MCP server for tests (a test double at the tool's edge, written here): a
side-effecting ``book_seat`` tool that honours the idempotency key Podium sends in the
request's ``_meta`` — a repeated key returns the first booking instead of booking again —
and says in its answer which key it got (an MCP client starts a stdio server with a
minimal environment, so the answer is the way to report back).

    python -m tests.support.mcp_booking
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("booking")
_booked: dict[str, dict] = {}


@server.tool()
def book_seat(flight: str, seat: str, ctx: Context) -> dict:
    """Book a seat on a flight (once per idempotency key)."""
    meta = getattr(ctx.request_context, "meta", None) or {}
    key = meta.get("idempotency_key") if isinstance(meta, dict) else None
    if key is not None and key in _booked:
        return _booked[key]
    booking = {"flight": flight, "seat": seat, "booking": f"BK-{len(_booked) + 1}", "key": key}
    if key is not None:
        _booked[key] = booking
    return booking


@server.tool()
def server_pid() -> dict:
    """Which server process answers (tests of session reuse)."""
    return {"pid": os.getpid()}


if __name__ == "__main__":
    server.run("stdio")
