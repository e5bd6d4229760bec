"""A real PostgreSQL server for tests: Debian's ``postgresql`` package (``make postgres``
installs it), a fresh cluster in a temporary folder, on a free loopback port.

PostgreSQL refuses to run as root, and CI runs as root: then the cluster belongs to the
``postgres`` user the package creates, and ``initdb``/``postgres`` run through
``runuser``. Without the binaries the tests skip, saying how to install them — except in
CI (``CI`` set), where a missing server is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from podium.starters.devserver import free_port

from tests.support.polling import eventually_sync

USER = "podium"
"""The cluster's superuser (trust authentication on loopback)."""


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``postgres`` (the newest Debian version), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=_version)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _version(path: Path) -> float:
    try:
        return float(path.parent.parent.name)
    except ValueError:
        return 0.0


def require_binaries() -> Path:
    """The binaries' folder; skip (fail in CI) when PostgreSQL is not installed."""
    folder = binaries()
    if folder is None:
        message = (
            "PostgreSQL is not installed: `make postgres` (Debian's postgresql package) runs "
            "the PostgreSQL memory store tests"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields its admin URL (``postgresql://podium@127.0.0.1:PORT/postgres``)."""
    folder = require_binaries()
    home = Path(tempfile.mkdtemp(prefix="podium-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # root: run it as the package's postgres user
        owner = pwd.getpwnam("postgres")
        os.chown(home, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = home / "data"
    subprocess.run(
        [*as_user, str(folder / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
         "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [*as_user, str(folder / "postgres"), "-D", str(data), "-p", str(port), "-k", str(home),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    try:
        eventually_sync(lambda: _answers(url, server, home), f"PostgreSQL on {port}", 60)
        yield url
    finally:
        _stop(server)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """A new, empty database on the server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _answers(url: str, server: subprocess.Popen[bytes], home: Path) -> bool:
    import psycopg

    if server.poll() is not None:
        raise AssertionError(f"postgres exited: {(home / 'server.log').read_text()[-2000:]}")
    try:
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except psycopg.OperationalError:
        return False


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: connections are cut), then SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass
