"""``podium eval SUITE.yaml``: run a suite's cases as real runs and check their records.

The suite is read and checked first (its spec compiled, every case's input, expression
and name checked; problems with their lines, exit 2). Then the cases run, several at
once (``--concurrency``), on the workers of the namespace — ``podium dev`` or ``podium
worker`` must be running — or, with ``--record`` / ``--replay``, on an embedded server
whose worker keeps or replays every answer (``starters.evals.recording``). With
``--against REF`` they run first on the spec as it was at a git ref
(``starters.evals.against``). The results table closes the output; ``--json`` and
``--junit`` write them for tools; the scores go to the workers' ``podium_eval_score``
and ``podium stats`` (``starters.eval_scores``). Exit codes: 0 every case passed (with
``--baseline`` or ``--against``: no regression), 1 a case failed (a regression), 2 a bad
suite or command line, no worker; 4 Temporal unreachable. docs/evals.md says more.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from podium.activities.cassette import Cassette, Mode
from podium.activities.errors import SetupError
from podium.compiler.problems import CompileError
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.eval_scores import record as record_scores
from podium.starters.evals.against import commit_of, suite_at, tree_at
from podium.starters.evals.output import CaseProgress, junit_xml, print_results
from podium.starters.evals.recording import (
    Recording,
    cassette_path,
    misses_of,
    note_misses,
    recording,
)
from podium.starters.evals.results import SuiteResult, compare, eval_scores, read_results, to_json
from podium.starters.evals.runner import run_suite
from podium.starters.evals.served import missing_workers
from podium.starters.evals.suite_file import LoadedSuite, load_suite
from temporalio.client import Client
from temporalio.service import RPCError


async def main(
    client: Client | None = None,
    *,
    suite: str,
    concurrency: int | None = None,
    json_path: str | None = None,
    junit_path: str | None = None,
    baseline: str | None = None,
    against: str | None = None,
    offline: bool | None = None,
    record: str | None = None,
    replay: str | None = None,
    address: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the suite at ``suite``; return the exit code. ``record`` / ``replay``: against
    a cassette (its path, or ``""`` for the suite's own), on an embedded server."""
    out = out or sys.stdout
    mode: Mode | None = None
    if record is not None or replay is not None:
        mode = "record" if record is not None else "replay"
    try:
        if against is not None and mode == "record":
            raise SetupError("--against compares two versions: replay them (or run them live)")
        loaded = load_suite(Path(suite), offline=offline)
        earlier = read_results(Path(baseline)) if baseline else None
        path = cassette_path(loaded, record or replay) if mode else None
        then: SuiteResult | None = None
        label = ""
        async with _session(loaded, client, address, mode, path) as (session, stack):
            cassette = stack.cassette if stack else None
            if against is not None:
                label = f"{against} ({commit_of(loaded.path.parent, against)})"
                with tree_at(loaded.path.parent, against) as (tree, root):
                    old = suite_at(loaded, tree, root, against)
                    then = await _run(session, old, out, concurrency, cassette)
            result = await _run(session, loaded, out, concurrency, cassette)
            if stack is not None:
                for each in (then, result):
                    if each is not None:
                        note_misses(each, misses_of(stack))
            else:
                await _hand_over_scores(session, result)
    except (CompileError, ValueError, SetupError) as exc:
        print(f"podium eval: nothing ran.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    versus = earlier if earlier is not None else then
    comparison = compare(result, versus) if versus is not None else None
    print_results(result, out, comparison, f"at {label}" if then else "in the baseline")
    if path is not None:
        out.write(
            f"recorded into {path}\n"
            if mode == "record"
            else f"replayed from {path}: no model, tool or judge was called (costs are the "
            "recording's)\n"
        )
    for target, text in ((json_path, to_json(result)), (junit_path, junit_xml(result))):
        if target is None:
            continue
        try:
            Path(target).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"podium eval: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
            return exit_codes.USAGE
        out.write(f"wrote {target}\n")
    if comparison is not None:
        return exit_codes.FAILED if comparison.regressions else exit_codes.OK
    return exit_codes.OK if result.failed == 0 else exit_codes.FAILED


@asynccontextmanager
async def _session(
    loaded: LoadedSuite,
    client: Client | None,
    address: str | None,
    mode: Mode | None,
    path: Path | None,
) -> AsyncIterator[tuple[Client, Recording | None]]:
    """Where the cases run: this namespace's workers, or a recording's own stack.

    Raises:
        SetupError: no worker serves the runs (the lines say what to start).
    """
    if mode is None or path is None:
        client = client or await connect(address)
        missing = await missing_workers(client, loaded.plan)
        if missing:
            raise SetupError("\n".join(missing))
        yield client, None
        return
    async with recording(loaded, path, mode) as stack:
        yield stack.client, stack


async def _run(
    client: Client,
    loaded: LoadedSuite,
    out: TextIO,
    concurrency: int | None,
    cassette: Cassette | None = None,
) -> SuiteResult:
    with CaseProgress(out, loaded.name, len(loaded.cases)) as progress:
        return await run_suite(
            client, loaded, concurrency=concurrency, on_done=progress.finished, cassette=cassette
        )


async def _hand_over_scores(client: Client, result: SuiteResult) -> None:
    """To podium_eval_score on the workers' metrics, and podium stats."""
    scores = eval_scores(result)
    if not scores.scores:
        return
    try:
        await record_scores(client, scores)
    except RPCError as exc:  # the results stand; only the metrics miss them
        print(f"podium eval: the scores were not recorded: {exc.message}", file=sys.stderr)
