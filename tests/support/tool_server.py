"""A loopback HTTP API for HTTP-tool tests: answers from a queue of (status, body),
records every request (method, path, query, headers, JSON body)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class ToolServer:
    url: str
    answers: list[tuple[int, Any]] = field(default_factory=list)
    """Answered in order; when empty, 200 with ``{"ok": true, "echo": <request>}``."""
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def tool_server() -> Iterator[ToolServer]:
    state = ToolServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = {
                "method": self.command,
                "path": parts.path,
                "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "json": json.loads(raw) if raw else None,
            }
            state.requests.append(request)
            status, body = state.answers.pop(0) if state.answers else (200, None)
            if body is None and status == 200:
                body = {"ok": True, "path": parts.path, "json": request["json"]}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
