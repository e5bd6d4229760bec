"""The ``podium`` command line.

podium dev                          dev server + worker until Ctrl-C
podium worker [--catalog DIR]       a worker against TEMPORAL_ADDRESS
podium validate SPEC                compile only; OK or the problems
podium run SPEC --input JSON [--wait]
podium demo                         the sample run, offline
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium", description="Durable AI-agent teams on Temporal."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = sub.add_parser("dev", help="start the Temporal dev server and a worker until Ctrl-C")
    dev.add_argument("--port", type=int, default=7233)
    dev.add_argument("--ui-port", type=int, default=8233)

    sub.add_parser("worker", help="run a worker (see `podium worker --help`)", add_help=False)

    validate = sub.add_parser("validate", help="compile a spec; print OK or its problems")
    validate.add_argument("spec")
    validate.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="compile every agent onto the offline scripted model",
    )

    run = sub.add_parser("run", help="compile and start a run")
    run.add_argument("spec")
    run.add_argument("--input", dest="input_text", help="run input as JSON")
    run.add_argument("--input-file", help="run input from a JSON or YAML file")
    run.add_argument("--wait", action="store_true", help="wait for the result and print it")
    run.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="run every agent on the offline scripted model",
    )
    run.add_argument("--id", dest="workflow_id", help="workflow id (default: <spec>-<random>)")
    run.add_argument(
        "--address", help="Temporal frontend (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)"
    )

    graph = sub.add_parser("graph", help="print a spec's Mermaid diagram (--png FILE: an image)")
    graph.add_argument("spec")
    graph.add_argument("--png", help="also render the diagram to this PNG file")

    schema = sub.add_parser("schema", help="write the spec/catalog JSON Schemas for editors")
    schema.add_argument("--out", default="schema", help="folder to write into (default: schema/)")

    sub.add_parser("demo", help="start everything, run the sample offline, print the result")
    return parser


def dispatch(argv: list[str]) -> int:
    """Run one command; return its exit code."""
    if argv[:1] == ["worker"]:
        # Workers run in their own process (entry points never import each other).
        os.execv(sys.executable, [sys.executable, "-m", "workers", *argv[1:]])
    args = _parser().parse_args(argv)
    if args.command == "dev":
        from starters import dev

        return dev.main(args.port, args.ui_port)
    if args.command == "validate":
        from starters import validate

        return validate.main(args.spec, args.offline)
    if args.command == "run":
        from starters import run

        return asyncio.run(
            run.main(
                spec=args.spec,
                input_text=args.input_text,
                input_file=args.input_file,
                wait=args.wait,
                offline=args.offline,
                workflow_id=args.workflow_id,
                address=args.address,
            )
        )
    if args.command == "graph":
        from starters import graph

        return graph.main(args.spec, args.png)
    if args.command == "schema":
        from starters import schema

        return schema.main(args.out)
    if args.command == "demo":
        from starters import demo

        return demo.main()
    return 2


def main() -> None:
    """Console-script entry point."""
    try:
        code = dispatch(sys.argv[1:])
    except KeyboardInterrupt:
        code = 130
    except RuntimeError as exc:  # connection refused, server failed to start…
        print(f"podium: {exc}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # temporalio/sdk-python#300: skip interpreter teardown once output is flushed.
    os._exit(code)
