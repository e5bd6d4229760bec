"""The production memory store: PostgreSQL, through psycopg 3 (``pip install
'podium[postgres]'``), shared by workers on every host.

A write and a forget of the same subject take one transaction-level advisory lock on
the subject, so a forget never misses a write that was under way; migrations run under
an advisory lock of their own, so workers starting together apply each file once. The
connection is opened on first use and opened again after the server dropped it (the
failed call raises ``MemoryUnavailable`` and Temporal retries the activity).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from podium.activities.errors import MemorySettingsError, MemoryUnavailable
from podium.activities.memory.migrations import VERSION_TABLE, pending
from podium.activities.memory.store import (
    AuditLine,
    NewFact,
    StoredFact,
    WriteOutcome,
    shown_url,
    subject_key,
)

MIGRATION_LOCK = 0x506F6469756D  # "Podium": the advisory lock migrations hold
COLUMNS = "value, run_id, step, written_at, expires_at"
UNEXPIRED = "(expires_at IS NULL OR expires_at > %s)"


class PostgresStore:
    """Facts in a PostgreSQL database (``postgresql://user@host:port/db``)."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise MemorySettingsError(
                "PODIUM_MEMORY_URL names a PostgreSQL store, but psycopg is not installed "
                "here\nhint: pip install 'podium[postgres]' (psycopg 3) on the workers and "
                "wherever podium memory runs"
            ) from None
        self._psycopg = psycopg
        self._dsn = url
        self.url = shown_url(url)
        self._lock = threading.Lock()
        self._db: Any = None
        with self._transaction() as db:
            self._migrate(db)

    def _connect(self) -> Any:
        if self._db is None or self._db.closed or self._db.broken:
            self._db = self._psycopg.connect(self._dsn, connect_timeout=10)
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock:
            try:
                db = self._connect()
                with db.transaction():
                    yield db
            except self._psycopg.Error as exc:
                said = str(exc).strip()
                reason = said.splitlines()[0] if said else type(exc).__name__
                raise MemoryUnavailable(f"the memory store {self.url} failed: {reason}") from None

    def _migrate(self, db: Any) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = db.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
        for migration in pending("postgres", current, self.url):
            db.execute(migration.sql)
            db.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )

    def schema_version(self) -> int:
        with self._transaction() as db:
            row = db.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()
            return int(row[0])

    def write(self, fact: NewFact) -> WriteOutcome:
        key = subject_key(fact.subject)
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            forgot = db.execute(
                "SELECT 1 FROM memory_audit WHERE subject_key = %s AND action = 'forget' "
                "AND at >= %s LIMIT 1",
                (key, fact.run_started),
            ).fetchone()
            if forgot:
                return "forgotten"
            cursor = db.execute(
                "INSERT INTO memory_facts (subject_key, write_key, value, search_text, run_id, "
                "step, written_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (write_key) DO NOTHING",
                (
                    key,
                    fact.write_key,
                    fact.value,
                    fact.search_text,
                    fact.run_id,
                    fact.step,
                    fact.written_at,
                    fact.expires_at,
                ),
            )
            return "written" if cursor.rowcount == 1 else "already written"

    def recent(self, subject: str, limit: int, now: datetime) -> list[StoredFact]:
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM memory_facts WHERE subject_key = %s AND {UNEXPIRED} "
                "ORDER BY written_at DESC, id DESC LIMIT %s",
                (subject_key(subject), now, limit or None),
            ).fetchall()
        return [_fact(row) for row in rows]

    def search(self, subject: str, words: list[str], limit: int, now: datetime) -> list[StoredFact]:
        if not words:
            return []
        score = " + ".join(["(strpos(search_text, %s) > 0)::int"] * len(words))
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT * FROM (SELECT {COLUMNS}, id, {score} AS score FROM memory_facts "
                f"WHERE subject_key = %s AND {UNEXPIRED} AND search_text IS NOT NULL) AS found "
                "WHERE score > 0 ORDER BY score DESC, written_at DESC, id DESC LIMIT %s",
                (*words, subject_key(subject), now, limit or None),
            ).fetchall()
        return [_fact(row) for row in rows]

    def forget(self, subject: str, by: str, at: datetime, reason: str = "") -> int:
        key = subject_key(subject)
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            count = db.execute("DELETE FROM memory_facts WHERE subject_key = %s", (key,)).rowcount
            db.execute(
                "INSERT INTO memory_audit (subject_key, action, actor, at, facts, reason) "
                "VALUES (%s, 'forget', %s, %s, %s, %s)",
                (key, by, at, count, reason),
            )
        return int(count)

    def record(self, subject: str, line: AuditLine) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO memory_audit (subject_key, action, actor, at, facts, reason) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (subject_key(subject), line.action, line.by, line.at, line.facts, line.reason),
            )

    def audit(self, subject: str) -> list[AuditLine]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT action, actor, at, facts, reason FROM memory_audit "
                "WHERE subject_key = %s ORDER BY at, id",
                (subject_key(subject),),
            ).fetchall()
        return [AuditLine(a, b, t, int(n), r) for a, b, t, n, r in rows]

    def purge_expired(self, now: datetime) -> int:
        with self._transaction() as db:
            return int(
                db.execute(
                    "DELETE FROM memory_facts WHERE expires_at IS NOT NULL AND expires_at <= %s",
                    (now,),
                ).rowcount
            )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()


def _fact(row: tuple[Any, ...]) -> StoredFact:
    value, run_id, step, written, expires = row[:5]
    return StoredFact(bytes(value), run_id, step, written, expires)
