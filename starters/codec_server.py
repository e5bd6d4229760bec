"""``podium codec-server``: lets the Temporal Web UI (and ``temporal`` CLI) show encrypted
and externally stored payloads decoded — in the browser of a person who can reach this
server, never on the Temporal server.

    POST /decode   {"payloads": [...]}  →  stored references fetched, then decrypted
    POST /encode   {"payloads": [...]}  →  encrypted (what the UI sends, e.g. a signal)
    OPTIONS        CORS preflight for the UI's origin

It uses the same settings as workers (``PODIUM_ENCRYPTION_KEYS`` / ``_KEY_FILE``,
``PODIUM_PAYLOAD_STORE``); point the UI at it with its "Codec Server" setting, or start
``podium dev --encrypt``, which wires it. Bind it to loopback (the default): whoever
reaches it can decrypt.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from google.protobuf import json_format
from podium.activities.payloads.codec import EncryptionCodec
from podium.activities.payloads.converter import store_driver
from podium.activities.payloads.settings import PayloadSettings
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.sdk.v1 import ExternalStorageReference
from temporalio.converter import (
    JSONProtoPayloadConverter,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
)

REFERENCE_TYPE = ExternalStorageReference.DESCRIPTOR.full_name.encode()
DEFAULT_ORIGINS = ("http://localhost:8233", "http://127.0.0.1:8233")


class Codec:
    """Decode / encode payloads as clients and workers do (store, then keys)."""

    def __init__(self, settings: PayloadSettings) -> None:
        self.codec = EncryptionCodec(settings.keys)  # without keys: names a missing key
        self.driver = store_driver(settings)
        self._json = JSONProtoPayloadConverter()

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if (
                self.driver is not None
                and payload.metadata.get("messageType") == REFERENCE_TYPE
                and payload.metadata.get("encoding") == b"json/protobuf"
            ):
                reference = self._json.from_payload(payload, ExternalStorageReference)
                if reference.driver_name == self.driver.name():
                    claim = StorageDriverClaim(claim_data=dict(reference.claim_data))
                    [payload] = await self.driver.retrieve(StorageDriverRetrieveContext(), [claim])
            out.append(payload)
        return await self.codec.decode(out)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.codec.encode(payloads)


class CodecServer:
    """The HTTP server, with its own event loop thread for the codec and store."""

    def __init__(
        self,
        settings: PayloadSettings,
        host: str = "127.0.0.1",
        port: int = 8081,
        origins: Sequence[str] = DEFAULT_ORIGINS,
    ) -> None:
        self.codec = Codec(settings)
        self.origins = set(origins)
        self.verbose = bool(os.environ.get("PODIUM_CODEC_LOG"))
        """``PODIUM_CODEC_LOG=1``: log each request's method, path and status."""
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._serve_thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CodecServer:
        self._loop_thread.start()
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.loop.call_soon_threadsafe(self.loop.stop)

    def run(self, body: bytes, what: str) -> bytes:
        payloads = json_format.Parse(body, Payloads()).payloads
        work = self.codec.decode(payloads) if what == "decode" else self.codec.encode(payloads)
        done = asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)
        return json_format.MessageToJson(Payloads(payloads=done)).encode()


def _handler(server: CodecServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            if server.verbose:  # request lines and statuses only: never a payload
                super().log_message(format, *args)

        def _cors(self) -> None:
            origin = self.headers.get("Origin")
            if origin and (origin in server.origins or "*" in server.origins):
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header(
                    "Access-Control-Allow-Headers",
                    "content-type, x-namespace, authorization, caller-type",
                )
                if origin in server.origins:  # never for the '*' wildcard
                    self.send_header("Access-Control-Allow-Credentials", "true")

        def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self) -> None:  # noqa: N802 - http.server's naming
            self._reply(200, b"", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            # the UI adds ?preserveStorageRefs=true; stored payloads are fetched anyway, so
            # a person sees the data rather than a reference
            what = urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]
            if what not in ("decode", "encode"):
                self._reply(404, b'{"error": "POST /decode or /encode"}')
                return
            try:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._reply(200, server.run(body, what))
            except Exception as exc:  # a bad request or a missing key: say which, no trace
                message = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
                self._reply(400, message.encode())

    return Handler
