"""The embedded memory store: one SQLite file (stdlib ``sqlite3``), the default.

``podium dev`` workers and the ``podium memory`` commands in the same folder share
``.podium/memory.db``. WAL mode lets a command read and forget while a worker writes;
every write takes the database's write lock first (``BEGIN IMMEDIATE``), so a forget and
a write of the same subject never interleave. Good for one host; workers on several
hosts share a PostgreSQL store instead (``postgres_store``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podium.activities.errors import MemoryUnavailable
from podium.activities.memory.migrations import VERSION_TABLE, pending
from podium.activities.memory.store import (
    AuditLine,
    NewFact,
    StoredFact,
    WriteOutcome,
    subject_key,
)

COLUMNS = "value, run_id, step, written_at, expires_at"
UNEXPIRED = "(expires_at IS NULL OR expires_at > ?)"


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class SQLiteStore:
    """Facts in one SQLite file (created with its folder on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite://{path}"
        self._lock = threading.Lock()
        try:
            _make_folder(path.parent)
            self._db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise MemoryUnavailable(f"cannot open the memory store {self.url}: {exc}") from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise MemoryUnavailable(f"the memory store {self.url} failed: {exc}") from None

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise MemoryUnavailable(f"the memory store {self.url} failed: {exc}") from None

    def _migrate(self) -> None:
        with self._transaction() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = db.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()[0] or 0
            for migration in pending("sqlite", current, self.url):
                for statement in _statements(migration.sql):
                    db.execute(statement)
                db.execute(
                    f"INSERT INTO {VERSION_TABLE} VALUES (?, ?, ?)",
                    (migration.version, migration.name, _time(datetime.now(UTC))),
                )

    def schema_version(self) -> int:
        row = self._query(f"SELECT MAX(version) FROM {VERSION_TABLE}", ())
        return int(row[0][0] or 0)

    def write(self, fact: NewFact) -> WriteOutcome:
        key = subject_key(fact.subject)
        with self._transaction() as db:
            forgot = db.execute(
                "SELECT 1 FROM memory_audit WHERE subject_key = ? AND action = 'forget' "
                "AND at >= ? LIMIT 1",
                (key, _time(fact.run_started)),
            ).fetchone()
            if forgot:
                return "forgotten"
            cursor = db.execute(
                "INSERT INTO memory_facts (subject_key, write_key, value, search_text, run_id, "
                "step, written_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (write_key) DO NOTHING",
                (
                    key,
                    fact.write_key,
                    fact.value,
                    fact.search_text,
                    fact.run_id,
                    fact.step,
                    _time(fact.written_at),
                    _time(fact.expires_at) if fact.expires_at else None,
                ),
            )
            return "written" if cursor.rowcount == 1 else "already written"

    def recent(self, subject: str, limit: int, now: datetime) -> list[StoredFact]:
        rows = self._query(
            f"SELECT {COLUMNS} FROM memory_facts WHERE subject_key = ? AND {UNEXPIRED} "
            "ORDER BY written_at DESC, id DESC LIMIT ?",
            (subject_key(subject), _time(now), limit or -1),
        )
        return [_fact(row) for row in rows]

    def search(self, subject: str, words: list[str], limit: int, now: datetime) -> list[StoredFact]:
        if not words:
            return []
        score = " + ".join(["(instr(search_text, ?) > 0)"] * len(words))
        rows = self._query(
            f"SELECT {COLUMNS}, {score} AS score FROM memory_facts WHERE subject_key = ? "
            f"AND {UNEXPIRED} AND search_text IS NOT NULL AND score > 0 "
            "ORDER BY score DESC, written_at DESC, id DESC LIMIT ?",
            (*words, subject_key(subject), _time(now), limit or -1),
        )
        return [_fact(row) for row in rows]

    def forget(self, subject: str, by: str, at: datetime, reason: str = "") -> int:
        key = subject_key(subject)
        with self._transaction() as db:
            count = db.execute("DELETE FROM memory_facts WHERE subject_key = ?", (key,)).rowcount
            db.execute(
                "INSERT INTO memory_audit (subject_key, action, actor, at, facts, reason) "
                "VALUES (?, 'forget', ?, ?, ?, ?)",
                (key, by, _time(at), count, reason),
            )
        return int(count)

    def record(self, subject: str, line: AuditLine) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO memory_audit (subject_key, action, actor, at, facts, reason) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (subject_key(subject), line.action, line.by, _time(line.at))
                + (line.facts, line.reason),
            )

    def audit(self, subject: str) -> list[AuditLine]:
        rows = self._query(
            "SELECT action, actor, at, facts, reason FROM memory_audit WHERE subject_key = ? "
            "ORDER BY at, id",
            (subject_key(subject),),
        )
        return [
            AuditLine(str(a), str(b), datetime.fromisoformat(t), int(n), str(r))
            for a, b, t, n, r in rows
        ]

    def purge_expired(self, now: datetime) -> int:
        with self._transaction() as db:
            gone = db.execute(
                "DELETE FROM memory_facts WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (_time(now),),
            ).rowcount
        return int(gone)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _make_folder(folder: Path) -> None:
    """Create the store's folder; a new ``.podium`` gets ``podium dev``'s ``.gitignore`` (a
    customer's facts must not end up in a commit)."""
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)  # (another process may be making it too)
    ignore = folder / ".gitignore"
    if folder.name == ".podium" and not ignore.exists():
        ignore.write_text("# written by podium: local state stays local\n*\n")


def _fact(row: tuple[Any, ...]) -> StoredFact:
    value, run_id, step, written, expires = row[:5]
    return StoredFact(
        value=bytes(value),
        run_id=str(run_id),
        step=str(step),
        written_at=datetime.fromisoformat(written),
        expires_at=datetime.fromisoformat(expires) if expires else None,
    )


def _statements(script: str) -> list[str]:
    """The statements of a migration file, one by one (``sqlite3.complete_statement``)."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                found.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()
    ):
        found.append(buffer.strip())
    return found
