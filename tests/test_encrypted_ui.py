"""Encryption end to end: ``podium dev --encrypt`` keeps every payload encrypted on the
Temporal server (a canary in the run input is nowhere in its database file), while a
person's browser shows the input and result decoded through the codec server it wires
into the Web UI (real `podium dev`, real server, headless Chromium)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import headless_page
from tests.support.polling import eventually_sync
from tests.test_web_ui import PodiumDev

pytestmark = pytest.mark.slow
CANARY = f"Canary{uuid.uuid4().hex[:10]} Pay"


@pytest.fixture
def encrypted(tmp_path: Path) -> Iterator[PodiumDev]:
    dev = PodiumDev(tmp_path, "--encrypt")
    try:
        dev.wait_ready()
        yield dev
    finally:
        dev.stop()


def test_payloads_are_encrypted_on_the_server_and_decoded_in_the_browser(encrypted, tmp_path):
    log = encrypted.log.read_text()
    assert "Payloads are encrypted" in log and "the Web UI decodes them through" in log
    folder = {  # what commands run in the dev's folder pick up from .podium/dev.json
        "PODIUM_ENCRYPTION_KEY_FILE": str(tmp_path / ".podium" / "keys"),
        "PODIUM_PAYLOAD_STORE": f"file:{tmp_path / '.podium' / 'payloads'}",
    }
    run_input = tmp_path / "input.json"
    run_input.write_text(json.dumps({"company": CANARY, "product": "QR pay", "market": "SG"}))
    run_id = f"market_entry-secret-{uuid.uuid4().hex[:6]}"
    encrypted.podium(
        "run", "specs/market_entry.yaml", "--input-file", str(run_input), "--id", run_id, **folder
    )

    def completed() -> bool:
        return "completed" in encrypted.podium("status", run_id, **folder).splitlines()[0]

    eventually_sync(completed, "the run to complete", timeout=60, every=0.5)
    assert CANARY in encrypted.podium("report", run_id, **folder)  # the CLI decrypts

    stored = b"".join(p.read_bytes() for p in (tmp_path / ".podium").glob("temporal.db*"))
    assert run_id.encode() in stored  # the database holds the run …
    assert CANARY.encode() not in stored  # … but not its data

    with headless_page() as page:
        page.goto(f"{encrypted.ui}/namespaces/default/workflows/{run_id}")
        # the input, and the timeline's labels (summaries are encrypted too), decoded
        page.wait_for_text(CANARY, "market-researcher · research", timeout_s=60)
