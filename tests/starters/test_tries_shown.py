"""Retries and fallbacks as a user sees them: `podium status` and `podium report` tell
every failed attempt, also of a step that succeeded in the end."""

from __future__ import annotations

import io

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.commands import report as final_report
from podium.starters.commands import status
from podium.starters.launch import start_run

pytestmark = pytest.mark.usefixtures("worker")

FAST = {"initial_interval": "50ms", "max_interval": "100ms"}


def scripted(fail_times: int, error: str, **extra: object) -> dict:
    return {
        "model": "scripted",
        "script": [{"output": "fine"}],
        "faults": {"fail_times": fail_times, "error": error},
        "retry": {**FAST, "max_attempts": 3},
        **extra,
    }


SPEC = {
    "name": "tries_shown",
    "agents": {
        "agents": {
            "shaky": scripted(2, "ProviderServerError"),
            "down": scripted(9, "ProviderRateLimited", fallback=["backup"]),
            "backup": scripted(0, "ProviderServerError"),
        }
    },
    "steps": [{"id": "third_time", "agent": "shaky"}, {"id": "fell_back", "agent": "down"}],
}


async def test_status_and_report_tell_every_failed_attempt(client, write_spec):
    handle = await start_run(client, compile_spec(write_spec(SPEC)), {})
    result = await handle.result()
    assert [s.status for s in result.state.steps] == ["completed", "completed"]
    out = io.StringIO()
    assert await status.main(client, handle.id, out=out) == 0
    text = out.getvalue()
    assert "  tried third_time: shaky ok after 2× ProviderServerError" in text
    assert "  tried fell_back: down 3× ProviderRateLimited → fall back to backup; backup ok" in text
    out = io.StringIO()
    assert await final_report.main(client, handle.id, "md", out=out) == 0
    md = out.getvalue()
    assert "- `third_time`: shaky ok after 2× ProviderServerError" in md
    assert (
        "  - shaky attempt 2: ProviderServerError: injected fault (scripted fault, attempt 2)" in md
    )
    assert (
        "  - down attempt 3: ProviderRateLimited: injected fault (scripted fault, attempt 3)" in md
    )
