"""Schema migrations of the memory stores: numbered SQL files, applied in order at start.

    activities/memory/migrations/sqlite/001_facts.sql
    activities/memory/migrations/postgres/001_facts.sql

Each store keeps ``memory_schema_version`` (version, name, applied_at) and, while holding
the database's write lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), applies
every file newer than its highest version, each with its row, in one transaction — so
workers starting together apply each migration once. A database newer than this code
(a later release wrote it) is refused rather than guessed at. Add a change as the next
number; never edit a released file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from podium.activities.errors import MemorySettingsError

VERSION_TABLE = "memory_schema_version"


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """The ``dialect``'s migrations (``sqlite`` / ``postgres``), oldest first."""
    folder = resources.files("podium.activities.memory").joinpath("migrations", dialect)
    found = []
    for item in folder.iterdir():
        match = re.fullmatch(r"(\d+)_(\w+)\.sql", item.name)
        if match:
            found.append(Migration(int(match[1]), match[2], item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    numbers = [m.version for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"memory migrations for {dialect} are not numbered 1…n: {numbers}")
    return found


def pending(dialect: str, current: int, where: str) -> list[Migration]:
    """The migrations newer than ``current``; refuses a database newer than this code."""
    known = migrations(dialect)
    if current > len(known):
        raise MemorySettingsError(
            f"the memory store {where} is at schema version {current}, newer than this "
            f"Podium knows ({len(known)})\nhint: upgrade Podium on this machine to the "
            "release the other workers run"
        )
    return [m for m in known if m.version > current]
