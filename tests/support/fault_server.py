"""A journaling OpenAI-compatible server on loopback that fails on purpose (a labelled fake
at the model's edge, for fault tests and bench/faults.py).

Every request is journaled with its ``Idempotency-Key``, a hash of its body, what the
server did and when, so a test can judge from the provider's side which calls were
made, repeated or answered. Faults are drawn at random at ``fault_rate`` from an even
mix of what flaky providers do: HTTP 500, 429 with Retry-After, a reset connection, a
2xx body that is not JSON, and an answer that fails the agent's schema.

Modes for single behaviours: ``echo_auth`` answers 401 quoting the bearer token (a
provider that leaks the key into its error), ``refuse_json_schema`` answers 500 to a
``response_format`` of type ``json_schema`` with llama.cpp's own body
(``LLAMA_CPP_REFUSAL``), ``truncate`` ends every answer at the token limit
(finish_reason ``length``).

A test can hold the runs where it wants them: ``grant(n)`` lets ``n`` more answers go and
holds the requests after them (after their latency) until it grants more, ``grant(None)``
lets everything go again; ``held_since(n)`` counts the requests waiting there that arrived
after the ``n``-th (``arrivals``).
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("500", "429", "reset", "not_json", "invalid")
LLAMA_CPP_REFUSAL = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', "
        "'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", "
        "'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  "
        'File "/srv/venv/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, '
        "in create_chat_completion\n    POST /v1/chat/completions",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}
"""What llama-cpp-python's server (0.3.x) answers, with HTTP 500, to ``json_schema``
(its path shortened)."""


@dataclass
class Entry:
    """One request as the provider saw it."""

    key: str
    body_sha: str
    outcome: str
    """``ok``, or the fault: 500, 429, reset, not_json, invalid, 401, refused_schema."""
    started: float
    ended: float = 0.0
    response_format: str | None = None
    delivered: bool = True
    """False when the caller was gone before the answer was written."""
    peer: str = ""
    """The caller's address."""


@dataclass
class FaultServer:
    """Settings (change them between runs) and the journal."""

    fault_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    latency_s: float = 0.0
    answer: dict[str, Any] = field(default_factory=lambda: {"summary": "all good"})
    retry_after_s: float = 0.2
    echo_auth: bool = False
    refuse_json_schema: bool = False
    truncate: bool = False
    seed: int | None = None
    tool_turns: list[list[dict[str, Any]]] = field(default_factory=list)
    """Tool calls (``{name, arguments}``) to answer with, turn by turn, to a request that
    offers tools; then the ``answer``."""
    tool_text: str | None = None
    """What the model says beside its tool calls (the message's ``content``)."""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    """Every request body, in order."""
    script: list[str] = field(default_factory=list)
    """Outcomes of the next requests, in order, before any are drawn at random."""
    journal: list[Entry] = field(default_factory=list)
    in_flight: int = 0
    """Requests received and not yet answered."""
    arrivals: int = 0
    """Requests received so far (each request's number is its place in this count)."""
    allowance: int | None = None
    """Answers the server may still send (None: no limit); see ``grant``."""
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._gate = threading.Condition(self._lock)
        self._held: set[int] = set()
        self._random = random.Random(self.seed)

    def draw(self) -> str:
        """``ok`` or a fault, at the configured rate and mix."""
        with self._lock:
            if self.script:
                return self.script.pop(0)
            if self._random.random() < self.fault_rate:
                return self._random.choice(self.faults)
            return "ok"

    def record(self, entry: Entry) -> None:
        with self._lock:
            self.journal.append(entry)
            self.in_flight -= 1

    def arrived(self) -> int:
        """Count a new request in; its number."""
        with self._lock:
            self.in_flight += 1
            self.arrivals += 1
            return self.arrivals

    def grant(self, answers: int | None) -> None:
        """Let ``answers`` more answers go, holding the requests after them (None: no
        limit from now on)."""
        with self._gate:
            if answers is None:
                self.allowance = None
            else:
                self.allowance = (self.allowance or 0) + answers
            self._gate.notify_all()

    def held_since(self, arrival: int) -> int:
        """Requests held by ``grant`` that arrived after the ``arrival``-th."""
        with self._lock:
            return sum(1 for number in self._held if number > arrival)

    def pass_gate(self, number: int) -> None:
        """Wait until request ``number`` may be answered (see ``grant``)."""
        with self._gate:
            self._held.add(number)
            self._gate.wait_for(lambda: self.allowance is None or self.allowance > 0)
            self._held.discard(number)
            if self.allowance is not None:
                self.allowance -= 1

    def entries(self) -> list[Entry]:
        """A copy of the journal."""
        with self._lock:
            return list(self.journal)


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            number = server.arrived()
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.loads(raw or b"{}")
            server.bodies.append(body)
            response_format = (body.get("response_format") or {}).get("type")
            entry = Entry(
                key=self.headers.get("idempotency-key", ""),
                body_sha=hashlib.sha256(raw).hexdigest()[:16],
                outcome="ok",
                started=time.time(),
                response_format=response_format,
                peer=self.client_address[0],
            )
            if server.latency_s:
                time.sleep(server.latency_s)
            server.pass_gate(number)
            auth = self.headers.get("authorization", "")
            try:
                if server.echo_auth:
                    entry.outcome = "401"
                    self._json(401, {"error": {"message": f"Incorrect API key provided: {auth}"}})
                elif server.refuse_json_schema and response_format == "json_schema":
                    entry.outcome = "refused_schema"
                    self._json(500, LLAMA_CPP_REFUSAL)
                else:
                    entry.outcome = server.draw()
                    self._answer(entry.outcome, body)
            except OSError:  # the caller died meanwhile (a killed worker)
                entry.delivered = False
                self.close_connection = True
            finally:
                entry.ended = time.time()
                server.record(entry)

        def _answer(self, outcome: str, body: dict[str, Any]) -> None:
            if outcome == "500":
                self._json(500, {"error": {"message": "internal error (injected)"}})
            elif outcome == "429":
                self._json(
                    429,
                    {"error": {"message": "rate limited (injected)"}},
                    {"retry-after": f"{server.retry_after_s:g}"},
                )
            elif outcome == "reset":
                self.close_connection = True  # no answer at all: the client sees a reset
            elif outcome == "not_json":
                self._raw(200, b"<html>502 Bad Gateway</html>", "text/html")
            elif body.get("tools") and (turn := _turn(body)) < len(server.tool_turns):
                calls = [
                    {
                        "id": f"call_{turn}_{i}",
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for i, c in enumerate(server.tool_turns[turn])
                ]
                message = {"role": "assistant", "content": server.tool_text, "tool_calls": calls}
                self._json(
                    200,
                    {
                        "id": "chatcmpl-tools",
                        "object": "chat.completion",
                        "model": body.get("model", "fault-model"),
                        "choices": [
                            {"index": 0, "message": message, "finish_reason": "tool_calls"}
                        ],
                        "usage": {"prompt_tokens": 30, "completion_tokens": 5},
                    },
                )
            else:
                content = {"wrong": True} if outcome == "invalid" else server.answer
                finish = "length" if server.truncate else "stop"
                text = json.dumps(content)
                if server.truncate:
                    text = text[: max(1, len(text) // 2)]
                self._json(
                    200,
                    {
                        "id": "chatcmpl-fault",
                        "object": "chat.completion",
                        "model": body.get("model", "fault-model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": finish,
                            }
                        ],
                        "usage": {"prompt_tokens": 20, "completion_tokens": 10},
                    },
                )

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(data).encode(), "application/json", headers)

        def _raw(
            self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _turn(body: dict[str, Any]) -> int:
    """How many tool-call turns the conversation in ``body`` already had."""
    return sum(1 for m in body.get("messages", []) if m.get("tool_calls"))


@contextmanager
def fault_server(host: str = "127.0.0.1", **settings: Any) -> Iterator[FaultServer]:
    """Serve a ``FaultServer`` on ``host`` (loopback; a test's own network-namespace
    bridge); its ``url`` is the base URL (``…/v1``)."""
    state = FaultServer(**settings)
    httpd = ThreadingHTTPServer((host, 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://{host}:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def unexplained_repeats(journal: list[Entry], kills: list[float]) -> list[str]:
    """Keys answered ``ok`` more than once where no kill explains it (a kill must land
    between the first answer and the repeat, while the first was still in flight)."""
    oks: dict[str, list[Entry]] = defaultdict(list)
    for entry in journal:
        if entry.outcome == "ok":
            oks[entry.key].append(entry)
    bad = []
    for key, entries in oks.items():
        first, *repeats = sorted(entries, key=lambda e: e.started)
        for repeat in repeats:
            if not any(
                first.started <= k <= repeat.started and first.ended >= k - 1.0 for k in kills
            ):
                bad.append(key)
    return bad
