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

from podium.compiler.problems import CompileError
from podium.starters import exit_codes
from podium.starters.connect import connect
from podium.starters.eval_scores import record as record_scores
from podium.starters.evals.output import CaseProgress, junit_xml, print_results
from podium.starters.evals.results import (
    Comparison,
    compare,
    eval_scores,
    read_results,
    to_json,
)
from podium.starters.evals.runner import run_suite
from podium.starters.evals.served import missing_workers
from podium.starters.evals.suite_file import load_suite
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
    address: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the suite at ``suite``; return the exit code."""
    out = out or sys.stdout
    try:
        loaded = load_suite(Path(suite), offline=offline)
        earlier = read_results(Path(baseline)) if baseline else None
    except (CompileError, ValueError) as exc:
        print(f"podium eval: nothing ran.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    client = client or await connect(address)
    missing = await missing_workers(client, loaded.plan)
    if missing:
        print("podium eval: nothing ran.\n" + "\n".join(missing), file=sys.stderr)
        return exit_codes.USAGE
    with CaseProgress(out, loaded.name, len(loaded.cases)) as progress:
        result = await run_suite(client, loaded, concurrency=concurrency, on_done=progress.finished)
    scores = eval_scores(result)
    if scores.scores:  # to podium_eval_score on the workers' metrics, and podium stats
        try:
            await record_scores(client, scores)
        except RPCError as exc:  # the results stand; only the metrics miss them
            print(f"podium eval: the scores were not recorded: {exc.message}", file=sys.stderr)
    comparison: Comparison | None = compare(result, earlier) if earlier else None
    print_results(result, out, comparison)
    for path, text in ((json_path, to_json(result)), (junit_path, junit_xml(result))):
        if path is None:
            continue
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"podium eval: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return exit_codes.USAGE
        out.write(f"wrote {path}\n")
    if comparison is not None:
        return exit_codes.FAILED if comparison.regressions else exit_codes.OK
    return exit_codes.OK if result.failed == 0 else exit_codes.FAILED
