"""A small MCP server for tests (a test double at the tool's edge, written here): a
side-effecting ``book_seat`` tool that honours the idempotency key Podium sends in the
request's ``_meta`` — a repeated key returns the first booking instead of booking again —
and says in its answer which key it got (an MCP client starts a stdio server with a
minimal environment, so the answer is the way to report back).

    python -m tests.support.mcp_booking [JOURNAL]

With a ``JOURNAL`` file, the server is the judge of crash tests: it appends one JSON line
per event (``request``, ``booked``, ``cancelled``) and keeps its bookings there, so they
outlive the server (a worker killed with its process group takes its stdio server with
it). While a file ``JOURNAL.hold`` exists, ``book_seat`` books, then holds its answer —
the side effect is done, the caller has not heard of it. ``cancel_booking`` undoes the
booking of the key it gets less ``/undo`` (the saga's key for an undo), and does nothing
when there is none: undoing a call that never happened is harmless.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("booking")
_booked: dict[str, dict] = {}
JOURNAL = Path(sys.argv[1]) if __name__ == "__main__" and len(sys.argv) > 1 else None
HOLD_MAX_S = 120.0
"""A held answer is given anyway after this long (a test that forgot to release)."""


def _key(ctx: Context) -> str | None:
    meta = getattr(ctx.request_context, "meta", None) or {}
    if not isinstance(meta, dict):
        meta = getattr(meta, "model_extra", None) or {}
    key = meta.get("idempotency_key")
    return key if isinstance(key, str) else None


def journal() -> list[dict]:
    """Every event so far (empty without a journal)."""
    if JOURNAL is None or not JOURNAL.exists():
        return []
    return [json.loads(line) for line in JOURNAL.read_text().splitlines() if line.strip()]


def _write(event: str, **fields: object) -> None:
    if JOURNAL is not None:
        with JOURNAL.open("a") as out:
            out.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")


def _bookings() -> dict[str, dict]:
    """Bookings not cancelled, by key (the journal's, else this process's)."""
    if JOURNAL is None:
        return dict(_booked)
    kept: dict[str, dict] = {}
    for line in journal():
        if line["event"] == "booked":
            kept.setdefault(line["key"], line["booking"])
        elif line["event"] == "cancelled":
            kept.pop(line["key"], None)
    return kept


def _book(key: str, booking: dict) -> None:
    if JOURNAL is None:
        _booked[key] = booking
    else:
        _write("booked", key=key, booking=booking)


def _made() -> int:
    """Bookings made so far, cancelled ones included."""
    if JOURNAL is None:
        return len(_booked)
    return sum(1 for line in journal() if line["event"] == "booked")


@server.tool()
async def book_seat(flight: str, seat: str, ctx: Context) -> dict:
    """Book a seat on a flight (once per idempotency key)."""
    key = _key(ctx)
    _write("request", key=key, flight=flight, seat=seat, pid=os.getpid())
    done = _bookings()
    if key is not None and key in done:
        booking = done[key]
    else:
        booking = {"flight": flight, "seat": seat, "booking": f"BK-{_made() + 1}", "key": key}
        if key is not None:
            _book(key, booking)
    if JOURNAL is not None:
        hold = JOURNAL.with_name(JOURNAL.name + ".hold")
        until = time.monotonic() + HOLD_MAX_S
        while hold.exists() and time.monotonic() < until:
            await anyio.sleep(0.05)
    return booking


@server.tool()
def cancel_booking(flight: str, seat: str, ctx: Context) -> dict:
    """Cancel the booking the key (less ``/undo``) made; nothing if it made none."""
    key = (_key(ctx) or "").removesuffix("/undo")
    booking = _bookings().get(key)
    if booking is not None:
        _write("cancelled", key=key, booking=booking)
        _booked.pop(key, None)
    else:
        _write("nothing to cancel", key=key)
    return {"cancelled": booking}


@server.tool()
def server_pid() -> dict:
    """Which server process answers (tests of session reuse)."""
    return {"pid": os.getpid()}


if __name__ == "__main__":
    server.run("stdio")
