"""What the ``podium`` command line accepts: every command, its options and their
``--help``; ``starters.cli`` runs the command they name."""

from __future__ import annotations

import argparse

from podium.starters.evals.arguments import add_eval_command

ADDRESS_HELP = (
    "Temporal frontend (default: TEMPORAL_ADDRESS, else the `podium dev` of this folder, "
    "else 127.0.0.1:7233)"
)


def _fairness_weight(text: str) -> float:
    """``--fairness-weight``: a number in a spec's ``priority.weight`` range (0, 1000]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1000:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most 1000 (like a spec's priority.weight), got {text}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """Every ``podium`` command and its options (``podium worker`` parses its own, in
    ``workers.main``: its arguments are handed over unparsed)."""
    parser = argparse.ArgumentParser(
        prog="podium", description="Durable AI-agent teams on Temporal."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = sub.add_parser("dev", help="start the Temporal dev server and a worker until Ctrl-C")
    dev.add_argument("--port", type=int, default=7233)
    dev.add_argument("--ui-port", type=int, default=8233)
    dev.add_argument("--metrics-port", type=int, help="worker's Prometheus endpoint port")
    dev.add_argument(
        "--catalog",
        action="append",
        default=[],
        help="agent catalog file or directory whose providers the worker serves "
        "(repeatable; default: ./agents if it exists)",
    )
    dev.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt every payload (key in .podium/keys) and start a codec server the "
        "Web UI decodes through",
    )
    dev.add_argument("--codec-port", type=int, help="the codec server's port (default: free)")

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
    waiting = run.add_mutually_exclusive_group()
    waiting.add_argument("--wait", action="store_true", help="wait for the result and print it")
    waiting.add_argument(
        "--follow",
        action="store_true",
        help="show its events and the agents' text as they happen, then the result",
    )
    run.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="run every agent on the offline scripted model",
    )
    run.add_argument("--id", dest="workflow_id", help="workflow id (default: <spec>-<random>)")
    run.add_argument(
        "--priority",
        type=int,
        choices=range(1, 6),
        metavar="1-5",
        help="served before runs with a higher number when workers are behind (default: the "
        "spec's, else 3)",
    )
    run.add_argument("--fairness-key", help="share backlogged work fairly between keys (tenant)")
    run.add_argument(
        "--fairness-weight",
        type=_fairness_weight,
        metavar="W",
        help="this run's share, more than 0 and at most 1000 (default: the spec's, else 1)",
    )
    run.add_argument("--address", help=ADDRESS_HELP)

    plan = sub.add_parser(
        "plan", help="draft a spec from a description with the catalog's planner; review it"
    )
    plan.add_argument("description", nargs="?", help="the process, in plain words")
    plan.add_argument("--catalog", required=True, help="agent catalog file (or a folder)")
    plan.add_argument(
        "--planner", help="the planner agent (default: planner, or capability planning)"
    )
    plan.add_argument("-o", "--output", help="write the spec here (default: <name>.yaml)")
    plan.add_argument("--max-rounds", type=int, default=3, help="drafts before giving up")
    plan.add_argument("--from", dest="from_spec", help="review this spec instead of drafting")
    gate = plan.add_mutually_exclusive_group()
    gate.add_argument("--run", action="store_true", help="ask on this terminal, then start the run")
    gate.add_argument(
        "--review", action="store_true", help="start a review run: an approval gates the plan"
    )
    plan.add_argument("--approvers", help="with --review: who may approve (comma-separated)")
    plan.add_argument("--input", dest="input_text", help="run input as JSON")
    plan.add_argument("--input-file", help="run input from a JSON or YAML file")
    plan.add_argument(
        "--offline", action="store_true", default=None, help="use the offline scripted model"
    )
    plan.add_argument("--address", help=ADDRESS_HELP)

    approve = sub.add_parser("approve", help="approve or reject a waiting approval")
    approve.add_argument("run", help="run (workflow) id")
    approve.add_argument("request", help="request id, e.g. signoff-1 (see `podium inbox`)")
    verdict = approve.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    approve.add_argument("--comment", default="")
    approve.add_argument("--as", dest="user", help="who decides (default: PODIUM_USER or login)")
    approve.add_argument("--address", help=ADDRESS_HELP)

    resolve = sub.add_parser(
        "resolve", help="decide a failed step, an exhausted budget or a missed deadline"
    )
    resolve.add_argument("run")
    resolve.add_argument("request")
    resolve.add_argument("--retry", action="store_true", help="run the step again")
    resolve.add_argument("--inputs", help="with --retry: JSON object replacing the step's inputs")
    resolve.add_argument("--supply", metavar="FILE", help="JSON file with the step's output")
    resolve.add_argument("--skip", action="store_true", help="go on without it (output null)")
    resolve.add_argument("--abort", action="store_true", help="stop the run")
    resolve.add_argument(
        "--continue",
        dest="go_on",
        action="store_true",
        help="budget: let the waiting call(s) go ahead; deadline: keep waiting",
    )
    resolve.add_argument("--raise-usd", type=float, help="budget: the new USD limit")
    resolve.add_argument("--raise-tokens", type=int, help="budget: the new token limit")
    resolve.add_argument("--comment", default="")
    resolve.add_argument("--as", dest="user")
    resolve.add_argument("--address", help=ADDRESS_HELP)

    status = sub.add_parser("status", help="show a run's steps, requests and spend")
    status.add_argument("run")
    status.add_argument(
        "--watch",
        action="store_true",
        help="follow the run until it ends (exit 1 if it failed, 3 if it was cancelled)",
    )
    status.add_argument("--address", help=ADDRESS_HELP)

    watch = sub.add_parser("watch", help="a run's events and its agents' text, live")
    watch.add_argument("run")
    watch.add_argument(
        "--after",
        type=int,
        metavar="OFFSET",
        help="start after this event (the last offset you saw; default: from the first kept)",
    )
    watch.add_argument("--address", help=ADDRESS_HELP)

    report = sub.add_parser("report", help="a run's final report: steps, people, cost, timings")
    report.add_argument("run")
    report.add_argument("--format", dest="fmt", choices=("md", "json"), default="md")
    report.add_argument("--address", help=ADDRESS_HELP)

    stats = sub.add_parser("stats", help="statistics across runs (success rate, p95, cost)")
    stats.add_argument("--spec", help="only runs of this spec (its name)")
    stats.add_argument("--since", default="24h", help="runs started this long ago (default 24h)")
    stats.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    stats.add_argument("--address", help=ADDRESS_HELP)

    cancel = sub.add_parser("cancel", help="cancel a run (its compensations run first)")
    cancel.add_argument("run")
    cancel.add_argument("--reason", help="why (shown by `podium status`; default: who cancelled)")
    cancel.add_argument("--address", help=ADDRESS_HELP)

    inbox = sub.add_parser("inbox", help="list requests waiting for people")
    inbox.add_argument("--as", dest="user", help="only those NAME may decide")
    inbox.add_argument("--address", help=ADDRESS_HELP)

    show = sub.add_parser(
        "show", help="everything needed to decide one request, and the command that answers it"
    )
    show.add_argument("run", help="run (workflow) id")
    show.add_argument("request", help="request id, e.g. quote-1 (see `podium inbox`)")
    show.add_argument("--address", help=ADDRESS_HELP)

    graph = sub.add_parser("graph", help="print a spec's Mermaid diagram (--png FILE: an image)")
    graph.add_argument("spec")
    graph.add_argument("--png", help="also render the diagram to this PNG file")

    schema = sub.add_parser("schema", help="write the spec/catalog JSON Schemas for editors")
    schema.add_argument("--out", default="schema", help="folder to write into (default: schema/)")
    schema.add_argument(
        "--kinds-table",
        metavar="FILE",
        help="also rewrite the table of step kinds in this Markdown file (docs/specs.md)",
    )

    serve = sub.add_parser(
        "serve", help="runs over HTTP for web and chat clients: POST /runs, events as SSE"
    )
    console = sub.add_parser(
        "console",
        help="the web console for people (inbox, runs) — podium serve with its pages on",
    )
    _serve_arguments(serve)
    _serve_arguments(console)
    console.add_argument(
        "--people",
        metavar="FILE",
        help="who is who: each person's e-mail, language and what they may do (docs/console.md)",
    )
    console.add_argument(
        "--trusted-header",
        metavar="HEADER",
        help="behind a company proxy that signs people in: the header naming them",
    )
    console.add_argument(
        "--base-url",
        help="where people reach the console (the links in e-mails; default: http://HOST:PORT)",
    )
    console.add_argument(
        "--link-minutes",
        type=float,
        metavar="N",
        help="how long a sign-in link works, once (default: 15; mailed with PODIUM_SMTP_URL)",
    )
    console.add_argument(
        "--state",
        metavar="DIR",
        help="where used sign-in links are remembered, shared by consoles behind one address "
        "(default: .podium)",
    )

    codec = sub.add_parser(
        "codec-server", help="decode encrypted / stored payloads for the Temporal Web UI"
    )
    codec.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    codec.add_argument("--port", type=int, default=8081)
    codec.add_argument(
        "--origin",
        action="append",
        default=[],
        help="the Web UI's origin allowed by CORS (repeatable; default: the dev UI's)",
    )

    keygen = sub.add_parser("keygen", help="print a new encryption key (id:base64)")
    keygen.add_argument(
        "--id", dest="key_id", help="key id (default: kYYYYMMDD-<6 random hex digits>, unique)"
    )

    sub.add_parser("demo", help="start everything, run the sample offline, print the result")

    memory = sub.add_parser(
        "memory", help="a subject's facts kept across runs: show them, or forget them (erasure)"
    )
    memory_commands = memory.add_subparsers(dest="memory_command", metavar="show|forget")
    memory_commands.required = True
    who = "who asks, kept in the audit (default: PODIUM_USER or login)"
    show = memory_commands.add_parser(
        "show", help="the subject's facts, newest first, with the run and step of each"
    )
    show.add_argument("subject", help="whose facts: the value the spec's subject names")
    show.add_argument("--json", dest="as_json", action="store_true", help="as JSON")
    show.add_argument("--as", dest="user", help=who)
    forget = memory_commands.add_parser(
        "forget", help="delete every fact of the subject (erasure), with an audit line"
    )
    forget.add_argument("subject", help="whose facts: the value the spec's subject names")
    forget.add_argument("--yes", action="store_true", help="do not ask first")
    forget.add_argument("--as", dest="user", help=who)
    forget.add_argument("--reason", default="", help="why (a request's reference), in the audit")
    add_eval_command(sub, ADDRESS_HELP)
    return parser


def _serve_arguments(serve: argparse.ArgumentParser) -> None:
    """What ``podium serve`` and ``podium console`` both accept."""
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8600)
    serve.add_argument(
        "--specs", default="specs", help="the folder of specs POST /runs may name (default: specs)"
    )
    serve.add_argument(
        "--clients",
        metavar="FILE",
        help="who may call: each client's name, token variable and specs (docs/live-runs.md)",
    )
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="no --clients: anyone on this machine may call (loopback only, for development)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin allowed to call from another site (repeatable)",
    )
    serve.add_argument("--address", help=ADDRESS_HELP)
