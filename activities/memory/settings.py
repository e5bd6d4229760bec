"""Which memory store a process uses: ``PODIUM_MEMORY_URL``, read on first use.

    PODIUM_MEMORY_URL   sqlite:///abs/path/memory.db | sqlite:relative/memory.db | a path
                        | postgresql://user:password@host:5432/db  (also postgres://)
    (unset)             sqlite at .podium/memory.db in the working folder — where
                        ``podium dev``'s worker and the ``podium memory`` commands run

Workers on more than one host need one shared store: PostgreSQL. A store is opened once
per process and URL (its migrations applied then) and kept open.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from podium.activities.errors import MemorySettingsError
from podium.activities.memory.store import MemoryStore, shown_url

VARIABLE = "PODIUM_MEMORY_URL"
DEFAULT_PATH = Path(".podium") / "memory.db"

_open: dict[str, MemoryStore] = {}
_opening = threading.Lock()


def memory_url(environ: dict[str, str] | None = None) -> str:
    """The store's URL, normalised (``sqlite:///abs/path`` or the PostgreSQL URL)."""
    env = os.environ if environ is None else environ
    value = env.get(VARIABLE, "").strip()
    if not value:
        return f"sqlite://{DEFAULT_PATH.resolve()}"
    if value.startswith(("postgresql://", "postgres://")):
        return value
    if value.startswith("sqlite:"):
        path = value.removeprefix("sqlite:")
        path = "/" + path.lstrip("/") if path.startswith("///") else path
        if not path:
            raise MemorySettingsError(
                f"{VARIABLE}={value!r} names no file\nhint: sqlite:///abs/path/memory.db"
            )
        return f"sqlite://{Path(path).expanduser().resolve()}"
    if "://" in value:
        raise MemorySettingsError(
            f"{VARIABLE}={shown_url(value)!r}: unknown store\n"
            "hint: sqlite:///path/to/memory.db, or postgresql://user@host:5432/db"
        )
    return f"sqlite://{Path(value).expanduser().resolve()}"


def open_store(url: str | None = None) -> MemoryStore:
    """The store at ``url`` (default: ``memory_url()``), opened once per process."""
    url = url or memory_url()
    with _opening:
        store = _open.get(url)
        if store is None:
            store = _connect(url)
            _open[url] = store
        return store


def _connect(url: str) -> MemoryStore:
    if url.startswith("sqlite://"):
        from podium.activities.memory.sqlite_store import SQLiteStore

        return SQLiteStore(Path(url.removeprefix("sqlite://")))
    from podium.activities.memory.postgres_store import PostgresStore

    return PostgresStore(url)


def close_all() -> None:
    """Close every store this process opened (tests, shutdown)."""
    with _opening:
        for store in _open.values():
            store.close()
        _open.clear()
