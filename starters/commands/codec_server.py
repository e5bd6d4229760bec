"""``podium codec-server [--port 8081] [--origin URL]``: decode payloads for the Web UI."""

from __future__ import annotations

import sys
import time

from podium.activities.errors import SetupError
from podium.starters.codec_server import DEFAULT_ORIGINS, CodecServer
from podium.starters.connect import payload_settings


def main(host: str = "127.0.0.1", port: int = 8081, origins: list[str] | None = None) -> int:
    """Serve until Ctrl-C; 2 when there is nothing to decode or the settings are wrong."""
    try:
        settings = payload_settings()
    except SetupError as exc:
        print(f"podium codec-server: {exc}", file=sys.stderr)
        return 2
    if not settings.keys and settings.store is None:
        print(
            "podium codec-server: nothing to decode — set PODIUM_ENCRYPTION_KEYS (or "
            "PODIUM_ENCRYPTION_KEY_FILE) and/or PODIUM_PAYLOAD_STORE as on your workers",
            file=sys.stderr,
        )
        return 2
    try:
        server = CodecServer(settings, host, port, origins or DEFAULT_ORIGINS).start()
    except OSError as exc:
        print(
            f"podium codec-server: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    print(
        f"podium codec-server on {server.url} ({settings.describe()}); allowed origins: "
        f"{', '.join(sorted(server.origins))}\n"
        f"In the Web UI: Settings → Codec Server → {server.url}. Ctrl-C to stop.",
        flush=True,
    )
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        server.stop()
    return 0
