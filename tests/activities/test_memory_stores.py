"""Both memory stores behave alike — SQLite (a file) and PostgreSQL (a real server, started
by the test from Debian's package): a key is written once, reads are newest first and per
subject, search ranks by shared words, expired facts are never read, forgetting deletes
and is audited and refuses later writes of runs that started before it; migrations are
applied once, even by workers opening the store together, and a newer schema is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from podium.activities.errors import MemorySettingsError, MemoryUnavailable
from podium.activities.memory.migrations import migrations
from podium.activities.memory.postgres_store import PostgresStore
from podium.activities.memory.settings import memory_url
from podium.activities.memory.sqlite_store import SQLiteStore
from podium.activities.memory.store import MemoryStore, NewFact, search_words
from podium.starters.devserver import free_port

from tests.support.postgres import fresh_database, postgres_server

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[type]:
    """Opens stores of one kind on one database (each call: another connection)."""
    if request.param == "sqlite":
        path = tmp_path / "memory.db"
        opened: list[MemoryStore] = []

        def sqlite() -> MemoryStore:
            opened.append(SQLiteStore(path))
            return opened[-1]

        yield sqlite  # type: ignore[misc]
    else:
        url = fresh_database(request.getfixturevalue("postgres"))
        opened = []

        def postgresql() -> MemoryStore:
            opened.append(PostgresStore(url))
            return opened[-1]

        yield postgresql  # type: ignore[misc]
    for store in opened:
        store.close()


def fact(key: str, text: str, subject: str = "C-1", at: datetime = NOW, **more) -> NewFact:
    return NewFact(
        subject=subject,
        write_key=key,
        value=text.encode(),
        search_text=text.casefold(),
        run_id=f"run-{key}",
        step="reply",
        written_at=at,
        expires_at=more.get("expires"),
        run_started=more.get("started", at - timedelta(minutes=1)),
    )


def texts(found) -> list[str]:
    return [f.value.decode() for f in found]


def test_a_fact_is_written_once_per_key_and_read_newest_first(open_store):
    store = open_store()
    assert store.write(fact("a", "first ticket", at=NOW)) == "written"
    assert store.write(fact("a", "first ticket", at=NOW)) == "already written"  # a retry
    assert store.write(fact("b", "second ticket", at=NOW + timedelta(seconds=1))) == "written"
    store.write(fact("c", "third ticket", at=NOW + timedelta(seconds=2)))
    store.write(fact("d", "another customer's", subject="C-2"))
    later = NOW + timedelta(hours=1)
    assert texts(store.recent("C-1", 0, later)) == ["third ticket", "second ticket", "first ticket"]
    assert texts(store.recent("C-1", 2, later)) == ["third ticket", "second ticket"]
    [first] = store.recent("C-2", 5, later)
    assert (first.run_id, first.step, first.written_at) == ("run-d", "reply", NOW)
    assert open_store().recent("C-1", 0, later)[0].run_id == "run-c"  # another connection


def test_search_ranks_by_shared_words_then_recency_in_any_script(open_store):
    store = open_store()
    notes = [
        "Invoice 77 paid late",
        "Ships from Surabaya, invoice in IDR",
        "ส่งของล่าช้า ลูกค้าขอคืนเงิน",  # Thai: no spaces between words
        "invoice 81 paid on time",
    ]
    for i, note in enumerate(notes):
        store.write(fact(str(i), note, at=NOW + timedelta(seconds=i)))
    later = NOW + timedelta(hours=1)
    found = store.search("C-1", search_words("LATE invoice?"), 5, later)
    assert texts(found) == [notes[0], notes[3], notes[1]]
    assert texts(store.search("C-1", search_words("late invoice"), 1, later)) == [notes[0]]
    assert texts(store.search("C-1", search_words("คืนเงิน"), 5, later)) == [notes[2]]
    assert store.search("C-1", search_words("nothing here"), 5, later) == []
    assert store.search("C-2", search_words("invoice"), 5, later) == []


def test_expired_facts_are_never_read_and_are_purged(open_store):
    store = open_store()
    store.write(fact("short", "kept a day", expires=NOW + timedelta(days=1)))
    store.write(fact("long", "kept for good"))
    assert len(store.recent("C-1", 0, NOW + timedelta(hours=1))) == 2
    two_days = NOW + timedelta(days=2)
    assert texts(store.recent("C-1", 0, two_days)) == ["kept for good"]
    assert store.search("C-1", ["day"], 5, two_days) == []
    assert store.purge_expired(two_days) == 1
    assert len(store.recent("C-1", 0, NOW)) == 1


def test_forgetting_deletes_audits_and_refuses_writes_of_runs_started_before(open_store):
    store = open_store()
    store.write(fact("a", "one"))
    store.write(fact("b", "two"))
    store.write(fact("c", "someone else", subject="C-2"))
    at = NOW + timedelta(minutes=5)
    assert store.forget("C-1", "dpo", at, "request 12") == 2
    assert store.recent("C-1", 0, at) == []
    assert len(store.recent("C-2", 0, at)) == 1
    [line] = store.audit("C-1")
    assert (line.action, line.by, line.at, line.facts, line.reason) == (
        "forget", "dpo", at, 2, "request 12",
    )  # fmt: skip
    assert line.text() == "2026-12-06 10:05:00 UTC forget by dpo: 2 facts (request 12)"
    in_flight = fact("d", "from a run that read before", at=at, started=NOW)
    assert store.write(in_flight) == "forgotten"
    after = fact("e", "from a later run", at=at, started=at + timedelta(seconds=1))
    assert store.write(after) == "written"
    assert texts(store.recent("C-1", 0, at)) == ["from a later run"]
    assert store.audit("C-2") == []


def test_migrations_are_applied_once_even_by_stores_opened_together(open_store):
    stores: list[MemoryStore] = []
    errors: list[BaseException] = []

    def opening() -> None:
        try:
            stores.append(open_store())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opening) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    dialect = "sqlite" if isinstance(stores[0], SQLiteStore) else "postgres"
    assert {s.schema_version() for s in stores} == {len(migrations(dialect))}
    stores[0].write(fact("a", "works"))
    assert texts(open_store().recent("C-1", 0, NOW)) == ["works"]


def test_a_store_a_newer_podium_migrated_is_refused(open_store):
    store = open_store()
    if isinstance(store, SQLiteStore):
        store._db.execute("INSERT INTO memory_schema_version VALUES (99, 'future', 'x')")
    else:
        with store._transaction() as db:
            db.execute("INSERT INTO memory_schema_version (version, name) VALUES (99, 'future')")
    with pytest.raises(MemorySettingsError, match="schema version 99, newer than this Podium"):
        open_store()


def test_an_unreachable_postgres_is_memory_unavailable_without_its_password():
    url = f"postgresql://ann:s3cret@127.0.0.1:{free_port()}/podium"
    with pytest.raises(MemoryUnavailable) as raised:
        PostgresStore(url)
    message = str(raised.value)
    assert message.startswith(f"the memory store postgresql://ann@127.0.0.1:{url.split(':')[3]}")
    assert "s3cret" not in message


def test_memory_url_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert memory_url({}) == f"sqlite://{tmp_path}/.podium/memory.db"
    assert (
        memory_url({"PODIUM_MEMORY_URL": "sqlite:///var/podium/m.db"})
        == "sqlite:///var/podium/m.db"
    )
    assert memory_url({"PODIUM_MEMORY_URL": "sqlite:m.db"}) == f"sqlite://{tmp_path}/m.db"
    assert memory_url({"PODIUM_MEMORY_URL": "data/m.db"}) == f"sqlite://{tmp_path}/data/m.db"
    pg = "postgresql://podium:pw@db:5432/podium"
    assert memory_url({"PODIUM_MEMORY_URL": pg}) == pg
    with pytest.raises(MemorySettingsError, match="unknown store"):
        memory_url({"PODIUM_MEMORY_URL": "redis://cache"})
