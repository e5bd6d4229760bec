"""``podium dev``: the embedded Temporal dev server plus a worker, until Ctrl-C.

SIGTERM and SIGHUP (a closed terminal) stop it like Ctrl-C: the worker, then the
server it started (``starters.devstack``).
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

from podium.starters import devstate
from podium.starters.devstack import DevAlreadyRunning, DevStack

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _say(text: str) -> None:
    try:  # after SIGHUP the terminal may be gone
        print(text, flush=True)
    except OSError:
        pass


def main(
    port: int = 7233,
    ui_port: int = 8233,
    metrics_port: int | None = None,
    catalogs: list[str] | None = None,
    encrypt: bool = False,
    codec_port: int | None = None,
) -> int:
    """Run the dev stack until Ctrl-C, SIGTERM or SIGHUP (``metrics_port``: the worker's
    Prometheus endpoint; ``catalogs``: agent catalogs whose providers the worker serves)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)
    try:
        stack = DevStack(
            port,
            ui_port,
            metrics_port=metrics_port,
            catalogs=catalogs,
            encrypt=encrypt,
            codec_port=codec_port,
        )
    except OSError as exc:  # e.g. --codec-port taken, .podium/ not writable
        print(f"podium dev: cannot start: {exc}", file=sys.stderr)
        return 1
    try:
        stack.start()
        _say(
            f"Podium dev stack ready. Web UI: {stack.server.ui_url()}\n"
            f"Commands in this folder use {stack.address} (recorded in "
            f"{stack.state_dir / devstate.DEV_FILE}).\n"
            + (
                f"Payloads are encrypted (keys in {stack.payloads['PODIUM_ENCRYPTION_KEY_FILE']}"
                f"); the Web UI decodes them through {stack.codec.url}.\n"
                if stack.codec
                else ""
            )
            + "Run e.g.: podium run specs/market_entry.yaml --input-file "
            "specs/inputs/market_entry.json --wait\nPress Ctrl-C to stop."
        )
        while True:
            if stack.worker is not None and stack.worker.poll() is not None:
                print("worker exited; see .podium/worker.log", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except DevAlreadyRunning as exc:
        print(f"podium dev: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _say("\nstopping …")
        return 0
    finally:
        for sig in (*STOP_SIGNALS, signal.SIGINT):  # a second signal must not cut the stop
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
