"""What ``podium eval`` accepts (``starters.arguments`` adds it to the command line)."""

from __future__ import annotations

import argparse
from typing import Any


def _concurrency(text: str) -> int:
    """``--concurrency``: a whole number from 1 to 64."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be from 1 to 64, got {value}")
    return value


def add_eval_command(sub: Any, address_help: str) -> None:
    """The ``eval`` subcommand and its options, on the ``podium`` subparsers ``sub``."""
    command = sub.add_parser(
        "eval", help="run a suite of cases as real runs; check outputs, trajectories, scores"
    )
    command.add_argument("suite", help="the eval suite file (docs/evals.md)")
    command.add_argument(
        "--concurrency",
        type=_concurrency,
        metavar="N",
        help="cases run at once (default: the suite's defaults.concurrency, else 4)",
    )
    command.add_argument("--json", dest="json_path", metavar="PATH", help="write results as JSON")
    command.add_argument(
        "--junit", dest="junit_path", metavar="PATH", help="write results as JUnit XML (CI)"
    )
    earlier = command.add_mutually_exclusive_group()
    earlier.add_argument(
        "--baseline",
        metavar="PATH",
        help="an earlier --json result: fail only on regressions (passed there, fail now)",
    )
    earlier.add_argument(
        "--against",
        metavar="REF",
        help="run the cases on the spec as it was at this git ref too; show what got "
        "better or worse (fail only on regressions)",
    )
    command.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="run every agent and judge on the offline scripted model",
    )
    cassette = command.add_mutually_exclusive_group()
    cassette.add_argument(
        "--record",
        nargs="?",
        const="",
        metavar="CASSETTE",
        help="keep the real models' and tools' answers (default file: the suite's "
        "cassette:, else cassettes/<suite>.jsonl beside it); runs on an embedded server",
    )
    cassette.add_argument(
        "--replay",
        nargs="?",
        const="",
        metavar="CASSETTE",
        help="answer every model, tool and judge call from a recording: offline, the same "
        "every time; calls no recording answers fail their case",
    )
    command.add_argument("--address", help=address_help)
