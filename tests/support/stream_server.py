"""A journaling OpenAI-compatible server on loopback that streams its answers (a labelled
fake at the model's edge, for streaming tests and bench/streaming.py).

A request with ``"stream": true`` is answered as a real server does: server-sent events,
one ``chat.completion.chunk`` per token at ``tokens_per_s``, a last chunk with the
finish reason, a usage chunk when ``stream_options.include_usage`` asks for it, then
``data: [DONE]``. Any other request gets the whole completion as JSON, after the time
its tokens would have taken; so does every request when ``ignore_stream`` is set (a
server that does not stream).

The answer is ``answers[model]`` (a string as it is, anything else as its JSON text),
else ``text``. It fails on purpose on the first ``fail_first`` requests of each call
(calls are told apart by their ``Idempotency-Key``, so the retries succeed): ``500``
before any token, ``cut`` (the connection closed after ``fail_after`` tokens),
``error`` (an error chunk after ``fail_after`` tokens, as llama.cpp and LiteLLM send;
to a request that is not streamed, a 500 after the time of those tokens) or ``end``
(a streamed body that ends cleanly after ``fail_after`` tokens with no finish reason and
no ``[DONE]``, as a proxy that closed after its upstream broke).
A test can hold every answer in the middle: with ``pause_after`` set, answers stop after
that many tokens until ``resume()``.

Every request is journaled as ``fault_server``'s are (``StreamEntry``: its key, what the
server did, whether it was asked to stream, the tokens sent and when the first went).
In its own process (``python -m tests.support.stream_server --port N --tokens-per-s R``)
the journal is at ``GET /v1/_journal``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.fault_server import Entry

TEXT = (
    "Thank you for writing to us. Your parcel left our warehouse this morning and "
    "should reach you within two working days; the tracking link in your order "
    "confirmation shows where it is now."
)
FAILURES = ("500", "cut", "error", "end")


def tokens(text: str) -> list[str]:
    """``text`` in the pieces a model would send (up to four characters after any spaces);
    joined, they are ``text`` again."""
    return re.findall(r"\s*\S{1,4}|\s+$", text)


@dataclass
class StreamEntry(Entry):
    """One request as the server saw it (``outcome``: ``ok``, or the failure)."""

    stream: bool = False
    """The request asked to be answered as a stream (``"stream": true``)."""
    tokens: int = 0
    """Tokens sent before the answer ended (all of them, or up to the failure)."""
    first_token: float | None = None
    """When the first token was sent (``time.time()``)."""
    connection: str = ""
    """The caller's address and port: requests on one kept-alive connection share it."""


@dataclass
class StreamServer:
    """Settings (change them between runs) and the journal."""

    tokens_per_s: float = 0.0
    """How fast answers are written (0: at once)."""
    text: str = TEXT
    answers: dict[str, Any] = field(default_factory=dict)
    """Answers by the request's ``model`` (else ``text``)."""
    ignore_stream: bool = False
    fail: str | None = None
    """``500``, ``cut``, ``error`` or ``end`` (see the module's docstring); None: never."""
    fail_after: int = 0
    fail_first: int = 1
    pause_after: int | None = None
    bodies: list[dict[str, Any]] = field(default_factory=list)
    """Every request body, in order."""
    journal: list[StreamEntry] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tries: Counter[str] = Counter()
        self._resumed = threading.Event()
        self._connections: set[socket.socket] = set()

    def answer(self, body: dict[str, Any]) -> str:
        """The text of the answer to ``body``."""
        answer = self.answers.get(str(body.get("model")), self.text)
        return answer if isinstance(answer, str) else json.dumps(answer)

    def failure(self, key: str) -> str | None:
        """The failure of a new request of call ``key`` (None: it is answered)."""
        with self._lock:
            self._tries[key] += 1
            return self.fail if self._tries[key] <= self.fail_first else None

    def pace(self, sent: int) -> None:
        """Wait before the next token, after ``sent`` (``tokens_per_s``, ``pause_after``)."""
        if self.pause_after is not None and sent == self.pause_after:
            self._resumed.wait()
        if self.tokens_per_s:
            time.sleep(1 / self.tokens_per_s)

    def resume(self) -> None:
        """Let the paused streams go on, and pause no more."""
        self._resumed.set()

    def connected(self, connection: socket.socket, alive: bool) -> None:
        """Count ``connection`` in (``alive``) or out (see ``hang_up``)."""
        with self._lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def hang_up(self) -> None:
        """Close the connections kept alive: their callers (a pooled client) must not be
        answered by this server once a new one listens on its port."""
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def record(self, entry: StreamEntry, body: dict[str, Any]) -> None:
        with self._lock:
            self.journal.append(entry)
            self.bodies.append(body)

    def entries(self) -> list[StreamEntry]:
        """A copy of the journal."""
        with self._lock:
            return list(self.journal)


def _handler(server: StreamServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            server.connected(self.connection, alive=True)

        def finish(self) -> None:
            server.connected(self.connection, alive=False)
            super().finish()

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.rstrip("/").endswith("/_journal"):
                self._json(200, {"journal": [asdict(e) for e in server.entries()]})
            else:
                self._json(404, {"error": {"message": f"no {self.path} here"}})

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.loads(raw or b"{}")
            entry = StreamEntry(
                key=self.headers.get("idempotency-key", ""),
                body_sha=hashlib.sha256(raw).hexdigest()[:16],
                outcome="ok",
                started=time.time(),
                response_format=(body.get("response_format") or {}).get("type"),
                peer=self.client_address[0],
                stream=body.get("stream") is True,
                connection="{}:{}".format(*self.client_address[:2]),
            )
            failure = server.failure(entry.key)
            pieces = tokens(server.answer(body))
            try:
                if failure == "500":
                    entry.outcome = "500"
                    self._json(500, {"error": {"message": "internal error (injected)"}})
                elif entry.stream and not server.ignore_stream:
                    self._stream(entry, body, pieces, failure)
                else:
                    self._whole(entry, body, pieces, failure)
            except OSError:  # the caller died meanwhile (a killed worker)
                entry.delivered = False
                self.close_connection = True
            finally:
                entry.ended = time.time()
                server.record(entry, body)

        def _stream(
            self, entry: StreamEntry, body: dict[str, Any], pieces: list[str], failure: str | None
        ) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self._event(_chunk(body, {"role": "assistant", "content": ""}))
            for piece in pieces:
                if failure is not None and entry.tokens == server.fail_after:
                    entry.outcome = failure
                    if failure == "cut":  # no end of the body: the caller sees it broken off
                        self.close_connection = True
                        return
                    if failure == "end":  # the body ends cleanly, the answer did not
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    self._event({"error": {"message": "the model stopped (injected)"}})
                    self.wfile.write(b"0\r\n\r\n")
                    return
                server.pace(entry.tokens)
                self._event(_chunk(body, {"content": piece}))
                entry.first_token = entry.first_token or time.time()
                entry.tokens += 1
            self._event(_chunk(body, {}, finish_reason="stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                self._event({**_chunk(body, None), "usage": _usage(body, pieces)})
            self._send(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")

        def _whole(
            self, entry: StreamEntry, body: dict[str, Any], pieces: list[str], failure: str | None
        ) -> None:
            sent = server.fail_after if failure is not None else len(pieces)
            for _ in range(sent):
                server.pace(entry.tokens)
                entry.tokens += 1
            if failure == "cut":
                entry.outcome = "cut"
                self.close_connection = True
            elif failure == "error":
                entry.outcome = "error"
                self._json(500, {"error": {"message": "the model stopped (injected)"}})
            else:
                message = {"role": "assistant", "content": "".join(pieces)}
                completion = {
                    "id": "chatcmpl-stream",
                    "object": "chat.completion",
                    "model": body.get("model", "stream-model"),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": _usage(body, pieces),
                }
                entry.first_token = time.time()  # (all of them at once)
                self._json(200, completion)

        def _event(self, data: dict[str, Any]) -> None:
            self._send(f"data: {json.dumps(data)}\n\n".encode())

        def _send(self, data: bytes) -> None:
            """One piece of a chunked body, sent at once."""
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def _json(self, status: int, data: Any) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _chunk(
    body: dict[str, Any], delta: dict[str, Any] | None, finish_reason: str | None = None
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with ``delta`` (None: one without choices)."""
    choices = (
        [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    )
    return {
        "id": "chatcmpl-stream",
        "object": "chat.completion.chunk",
        "model": body.get("model", "stream-model"),
        "choices": choices,
    }


def _usage(body: dict[str, Any], pieces: list[str]) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages", []))
    return {"prompt_tokens": max(1, prompt // 4), "completion_tokens": len(pieces)}


@contextmanager
def stream_server(
    host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> Iterator[StreamServer]:
    """Serve a ``StreamServer`` on ``host`` (loopback) in a thread; its ``url`` is the base
    URL (``…/v1``)."""
    state = StreamServer(**settings)
    httpd = ThreadingHTTPServer((host, port), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://{host}:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        state.resume()  # (no handler thread stays paused)
        httpd.shutdown()
        httpd.server_close()
        state.hang_up()


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted; print the base URL once it answers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tokens-per-s", type=float, default=0.0)
    parser.add_argument("--words", type=int, help="answer with this many words (default: TEXT)")
    parser.add_argument("--ignore-stream", action="store_true")
    parser.add_argument("--fail", choices=FAILURES)
    parser.add_argument("--fail-after", type=int, default=0)
    parser.add_argument("--fail-first", type=int, default=1)
    args = parser.parse_args(argv)
    words = TEXT.split()
    text = (
        TEXT if args.words is None else " ".join(words[i % len(words)] for i in range(args.words))
    )
    settings = {
        "tokens_per_s": args.tokens_per_s,
        "text": text,
        "ignore_stream": args.ignore_stream,
        "fail": args.fail,
        "fail_after": args.fail_after,
        "fail_first": args.fail_first,
    }
    with stream_server(args.host, args.port, **settings) as server:
        print(f"stream server ready: {server.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
