"""The memory activities as a worker runs them: a write retried with its key keeps one fact,
a read returns it with its provenance, a ttl is honoured, and a store that cannot be
opened is a retryable ``MemoryUnavailable`` (the run waits)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from podium.activities.errors import MemoryUnavailable
from podium.activities.memory.activities import read_memory, write_memory
from podium.activities.memory.contracts import MemoryReadRequest, MemoryWriteRequest
from podium.activities.memory.settings import close_all
from temporalio.testing import ActivityEnvironment

NOW = datetime.now(UTC)


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "memory.db"
    monkeypatch.setenv("PODIUM_MEMORY_URL", f"sqlite://{path}")
    yield path
    close_all()


def write(key: str, fact: object, ttl_s: float | None = None) -> MemoryWriteRequest:
    return MemoryWriteRequest(
        subject="V-9",
        fact=fact,
        write_key=key,
        run_id="vendor_onboarding-1a2b",
        step="checks[2]",
        written_at=NOW,
        run_started=NOW - timedelta(seconds=5),
        ttl_s=ttl_s,
    )


async def test_a_retried_write_keeps_one_fact_read_back_with_its_provenance(store_file):
    env = ActivityEnvironment()
    fact = {"vendor": "Kopi Pay", "risk": "low"}
    first = await env.run(write_memory, write("vendor_onboarding-1a2b/checks/0c1d2e3f", fact))
    again = await env.run(write_memory, write("vendor_onboarding-1a2b/checks/0c1d2e3f", fact))
    assert (first.outcome, again.outcome) == ("written", "already written")

    result = await env.run(read_memory, MemoryReadRequest(subject="V-9", limit=5))
    [remembered] = result.facts
    assert remembered.fact == fact and not result.searched
    assert (remembered.run, remembered.step, remembered.at) == (
        "vendor_onboarding-1a2b",
        "checks[2]",
        NOW,
    )
    assert remembered.expires is None
    found = await env.run(read_memory, MemoryReadRequest(subject="V-9", search="kopi risk?"))
    assert found.searched and [f.fact for f in found.facts] == [fact]
    other = await env.run(read_memory, MemoryReadRequest(subject="V-1"))
    assert other.facts == []


async def test_a_fact_past_its_ttl_is_not_read(store_file):
    env = ActivityEnvironment()
    await env.run(write_memory, write("k/short/1", "already stale", ttl_s=0.001))
    await env.run(write_memory, write("k/long/1", "kept a year", ttl_s=365 * 86400))
    result = await env.run(read_memory, MemoryReadRequest(subject="V-9"))
    assert [f.fact for f in result.facts] == ["kept a year"]
    assert result.facts[0].expires == NOW + timedelta(days=365)


async def test_a_store_that_cannot_be_opened_is_retried_not_fatal(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("PODIUM_MEMORY_URL", f"sqlite://{tmp_path}/file/memory.db")
    with pytest.raises(MemoryUnavailable, match="cannot open the memory store") as raised:
        await ActivityEnvironment().run(read_memory, MemoryReadRequest(subject="V-9"))
    assert raised.value.retryable
