"""``podium eval --record`` / ``--replay``: a suite run against a cassette, hermetically.

Both start their own embedded Temporal dev server and one worker process with
``PODIUM_CASSETTE`` set (``activities.cassette``), so nothing else — no ``podium dev``,
no other worker — takes part, and nothing of the folder's own server is touched:

- ``--record``: the worker calls the real models and tools (their keys in this
  environment) and keeps every answer in the cassette, which starts empty; the judges'
  answers, asked from this process, go in too;
- ``--replay``: no model, tool or judge is called; every answer comes from the cassette,
  offline and the same every time. A call no recording answers fails its case, listed
  with what changed since the recording (its instructions, its inputs, …).

The cassette is ``--record PATH`` / ``--replay PATH``, else the suite's ``cassette:``,
else ``cassettes/<suite>.jsonl`` beside the suite.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from podium.activities.cassette import (
    CASSETTE_ENV,
    MISSES_ENV,
    MODE_ENV,
    Cassette,
    Miss,
    Mode,
    read_misses,
)
from podium.activities.errors import SetupError
from podium.starters.connect import connect
from podium.starters.devserver import local_environment, stop_process
from podium.starters.devstack import spawn_worker, wait_until_ready
from podium.starters.evals.results import SuiteResult
from podium.starters.evals.suite_file import LoadedSuite, spec_catalogs
from temporalio.client import Client

CASSETTES = "cassettes"
"""The folder beside a suite where its cassette is kept by default."""


def cassette_path(loaded: LoadedSuite, given: str | None) -> Path:
    """Where the suite's cassette is: ``given``, the suite's ``cassette:``, the default."""
    if given:
        return Path(given)
    if loaded.suite.cassette:
        return loaded.path.parent / loaded.suite.cassette
    return loaded.path.parent / CASSETTES / f"{loaded.name}.jsonl"


@dataclass
class Recording:
    """A running hermetic stack: its client, and the cassette this process answers judges
    through."""

    client: Client
    cassette: Cassette
    misses: Path


@asynccontextmanager
async def recording(loaded: LoadedSuite, path: Path, mode: Mode) -> AsyncIterator[Recording]:
    """Start the embedded server and the cassette's worker; stop both on the way out.

    Raises:
        SetupError: no recording to replay, or the worker would not start.
    """
    if mode == "replay" and not path.is_file():
        raise SetupError(
            f"no recording at {path}: make one first (podium eval {loaded.path} --record)"
        )
    if mode == "record":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")  # a recording starts afresh
    with tempfile.TemporaryDirectory(prefix="podium-eval-") as scratch:
        misses = Path(scratch) / "misses.jsonl"
        environment = await local_environment()
        worker = None
        try:
            address = environment.client.service_client.config.target_host
            catalogs = [str(f) for f in spec_catalogs(loaded.path.parent / loaded.suite.spec)]
            extra = [arg for catalog in catalogs for arg in ("--catalog", catalog)]
            settings = {CASSETTE_ENV: str(path.resolve()), MODE_ENV: mode}
            settings[MISSES_ENV] = str(misses)
            log = Path(scratch) / "worker.log"
            worker = spawn_worker(address, log, extra, settings)
            try:
                await asyncio.to_thread(wait_until_ready, worker, log, 0)
            except RuntimeError as exc:
                raise SetupError(f"the {mode}ing worker did not start: {exc}") from None
            client = await connect(address)
            yield Recording(client, Cassette(path, mode, misses), misses)
        finally:
            stop_process(worker)
            await environment.shutdown()


def note_misses(result: SuiteResult, misses: list[Miss]) -> None:
    """Add each call no recording answered to its case (a case with one fails)."""
    by_run: dict[str, list[Miss]] = {}
    for miss in misses:
        by_run.setdefault(miss.run_id, []).append(miss)
    for case in result.cases:
        for miss in by_run.get(case.run_id or "", []):
            where = f" at step {miss.step!r}" if miss.step else ""
            case.unrecorded.append(f"{miss.kind} {miss.name!r}{where}: {miss.why}")
        if case.unrecorded:
            case.passed = False
    result.total()


def misses_of(handle: Recording) -> list[Miss]:
    """The calls no recording answered, worker's and judges' alike."""
    return read_misses(handle.misses)
