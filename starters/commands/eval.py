"""``podium eval SUITE.yaml``: run a suite's cases as real runs and check their records.

The suite is read and checked first (its spec compiled, every case's input, expression
and name checked; problems with their lines, exit 2). Then the cases run, several at
once (``--concurrency``), on the workers of the namespace — ``podium dev`` or ``podium
worker`` must be running. The results table closes the output; ``--json`` and
``--junit`` write them for tools. Exit codes: 0 every case passed (with ``--baseline``:
no regression), 1 a case failed (a regression), 2 a bad suite or command line, no
worker; 4 Temporal unreachable. docs/evals.md says what a suite can check.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from podium.activities.cassette import Cassette, Mode
from podium.activities.errors import SetupError
from podium.compiler.problems import CompileError
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.eval_scores import record as record_scores
from podium.starters.evals.output import CaseProgress, junit_xml, print_results
from podium.starters.evals.recording import cassette_path, misses_of, note_misses, recording
from podium.starters.evals.results import (
    Comparison,
    SuiteResult,
    compare,
    eval_scores,
    read_results,
    to_json,
)
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
    offline: bool | None = None,
    record: str | None = None,
    replay: str | None = None,
    address: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the suite at ``suite``; return the exit code. ``record`` / ``replay``: against
    a cassette (its path, or ``""`` for the suite's own), on an embedded server."""
    out = out or sys.stdout
    try:
        loaded = load_suite(Path(suite), offline=offline)
        earlier = read_results(Path(baseline)) if baseline else None
    except (CompileError, ValueError) as exc:
        print(f"podium eval: nothing ran.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    if record is not None or replay is not None:
        mode: Mode = "record" if record is not None else "replay"
        path = cassette_path(loaded, record or replay)
        try:
            async with recording(loaded, path, mode) as stack:
                result = await _run(stack.client, loaded, out, concurrency, stack.cassette)
                note_misses(result, misses_of(stack))
        except SetupError as exc:
            print(f"podium eval: nothing ran.\n{exc}", file=sys.stderr)
            return exit_codes.USAGE
        note = (
            f"recorded into {path}"
            if mode == "record"
            else (
                f"replayed from {path}: no model, tool or judge was called (costs are the "
                "recording's)"
            )
        )
    else:
        note = ""
        client = client or await connect(address)
        missing = await missing_workers(client, loaded.plan)
        if missing:
            print("podium eval: nothing ran.\n" + "\n".join(missing), file=sys.stderr)
            return exit_codes.USAGE
        result = await _run(client, loaded, out, concurrency)
        await _hand_over_scores(client, result)
    comparison: Comparison | None = compare(result, earlier) if earlier else None
    print_results(result, out, comparison)
    if note:
        out.write(note + "\n")
    for path_text, text in ((json_path, to_json(result)), (junit_path, junit_xml(result))):
        if path_text is None:
            continue
        try:
            Path(path_text).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"podium eval: cannot write {path_text}: {exc.strerror or exc}", file=sys.stderr)
            return exit_codes.USAGE
        out.write(f"wrote {path_text}\n")
    if comparison is not None:
        return exit_codes.FAILED if comparison.regressions else exit_codes.OK
    return exit_codes.OK if result.failed == 0 else exit_codes.FAILED


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
