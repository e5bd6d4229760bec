"""The ``podium`` command line: parses the arguments (what each command accepts is in
``starters.arguments``), calls the command's module (``starters.commands``, one module per
command) and turns what it raises into one line and an exit code.

podium dev                          dev server + worker until Ctrl-C
podium worker [--catalog DIR]       a worker against TEMPORAL_ADDRESS
podium validate SPEC                compile only; OK or the problems
podium run SPEC --input JSON [--wait | --follow]  (--follow: events and text as written)
podium plan "DESCRIPTION" --catalog PATH [-o SPEC] [--run | --review]  draft, check, review
podium status RUN [--watch]         a run's steps table (--watch: live until it ends)
podium watch RUN [--after N]        a run's events and its agents' text, live
podium serve [--port 8600] --clients FILE  HTTP for web and chat clients (POST /runs, SSE)
podium console [--people FILE]      the web console: inbox, requests, runs (and serve's API)
podium report RUN [--format md|json]  the final report of one run
podium inbox [--as NAME]            requests waiting for people (a tool call's arguments)
podium show RUN REQUEST             one request: what it asks, who decides until when, how
podium stats [--spec NAME] [--since 24h]  success rate, durations, cost, agent errors
podium demo                         the sample run, offline
podium eval SUITE [--junit PATH]    a suite's cases as runs, their records checked
podium codec-server [--port 8081]   decode encrypted / stored payloads for the Web UI
podium keygen                       a new encryption key for PODIUM_ENCRYPTION_KEYS
podium memory show|forget SUBJECT   a subject's facts kept across runs; forget: erasure
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from podium.activities.errors import SetupError
from podium.starters import exit_codes
from podium.starters.arguments import build_parser
from podium.starters.connect import TemporalUnreachable
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError


def dispatch(argv: list[str]) -> int:
    """Run one command; return its exit code."""
    if argv[:1] == ["worker"]:
        from podium.starters.commands import worker

        worker.main(argv[1:])
    args = build_parser().parse_args(argv)
    command = args.command
    if command == "dev":
        from podium.starters.commands import dev

        return dev.main(
            args.port,
            args.ui_port,
            args.metrics_port,
            args.catalog,
            encrypt=args.encrypt,
            codec_port=args.codec_port,
        )
    if command == "validate":
        from podium.starters.commands import validate

        return validate.main(args.spec, args.offline)
    if command == "graph":
        from podium.starters.commands import graph

        return graph.main(args.spec, args.png)
    if command == "schema":
        from podium.starters.commands import schema

        return schema.main(args.out, args.kinds_table)
    if command == "demo":
        from podium.starters.commands import demo

        return demo.main()
    if command == "codec-server":
        from podium.starters.commands import codec_server

        return codec_server.main(args.host, args.port, args.origin or None)
    if command == "keygen":
        from podium.starters.commands import keygen

        return keygen.main(args.key_id)
    if command == "memory":
        from podium.starters.commands import memory

        if args.memory_command == "show":
            return memory.show(args.subject, by=args.user, as_json=args.as_json)
        return memory.forget(args.subject, yes=args.yes, by=args.user, reason=args.reason)
    return asyncio.run(_dispatch_async(args))


async def _dispatch_async(args: argparse.Namespace) -> int:
    """The commands that talk to Temporal (each connects with ``--address``)."""
    command = args.command
    if command == "run":
        from podium.starters.commands import run

        return await run.main(
            spec=args.spec,
            input_text=args.input_text,
            input_file=args.input_file,
            wait=args.wait,
            follow=args.follow,
            offline=args.offline,
            workflow_id=args.workflow_id,
            address=args.address,
            priority=args.priority,
            fairness_key=args.fairness_key,
            fairness_weight=args.fairness_weight,
        )
    if command == "plan":
        from podium.starters.commands import plan

        return await plan.main(
            args.description,
            catalog=args.catalog,
            planner=args.planner,
            output=args.output,
            max_rounds=args.max_rounds,
            offline=args.offline,
            run=args.run,
            review_run=args.review,
            approvers=[a.strip() for a in (args.approvers or "").split(",") if a.strip()],
            from_spec=args.from_spec,
            input_text=args.input_text,
            input_file=args.input_file,
            address=args.address,
        )
    if command in ("serve", "console"):
        from podium.starters.commands import serve

        console = command == "console"
        return await serve.main(
            None,
            host=args.host,
            port=args.port,
            specs=args.specs,
            clients_file=args.clients,
            insecure_no_auth=args.insecure_no_auth,
            cors_origins=args.cors_origin,
            address=args.address,
            console=console,
            people=args.people if console else None,
            trusted_header=args.trusted_header if console else None,
            base_url=args.base_url if console else None,
            link_minutes=args.link_minutes if console else None,
            state=args.state if console else None,
        )
    if command == "eval":
        from podium.starters.commands import eval as eval_command

        return await eval_command.main(
            None,
            suite=args.suite,
            concurrency=args.concurrency,
            json_path=args.json_path,
            junit_path=args.junit_path,
            baseline=args.baseline,
            against=args.against,
            offline=args.offline,
            record=args.record,
            replay=args.replay,
            address=args.address,
        )
    if command == "watch":
        from podium.starters.commands import watch

        return await watch.main(None, args.run, args.address, after=args.after)
    if command == "status":
        from podium.starters.commands import status

        return await status.main(None, args.run, args.address, watch=args.watch)
    if command == "report":
        from podium.starters.commands import report

        return await report.main(None, args.run, args.fmt, args.address)
    if command == "stats":
        from podium.starters.commands import stats

        return await stats.main(None, args.spec, args.since, args.fmt, args.address)
    if command == "cancel":
        from podium.starters.commands import cancel

        return await cancel.main(None, args.run, args.address, args.reason)
    if command == "inbox":
        from podium.starters.commands import inbox

        return await inbox.main(None, args.user, args.address)
    if command == "show":
        from podium.starters.commands import show

        return await show.main(None, args.run, args.request, args.address)
    if command == "approve":
        from podium.starters.commands import approve

        return await approve.main(
            None,
            args.run,
            args.request,
            args.approve,
            comment=args.comment,
            user=args.user,
            address=args.address,
        )
    if command == "resolve":
        from podium.starters.commands import resolve

        return await resolve.main(
            None,
            args.run,
            args.request,
            user=args.user,
            comment=args.comment,
            retry=args.retry,
            supply=args.supply,
            skip=args.skip,
            abort=args.abort,
            inputs=args.inputs,
            go_on=args.go_on,
            raise_usd=args.raise_usd,
            raise_tokens=args.raise_tokens,
            address=args.address,
        )
    return 2


def main() -> None:
    """Console-script entry point."""
    try:
        code = dispatch(sys.argv[1:])
    except KeyboardInterrupt:
        code = exit_codes.INTERRUPTED
    except BrokenPipeError:  # `podium status RUN | head`: the reader has gone, nothing to say
        code = exit_codes.OK
    except TemporalUnreachable as exc:
        print(f"podium: {exc}", file=sys.stderr)
        code = exit_codes.UNREACHABLE
    except SetupError as exc:  # e.g. a malformed PODIUM_PAYLOAD_STORE or encryption key
        print(f"podium: {exc}", file=sys.stderr)
        code = exit_codes.USAGE
    except (RuntimeError, TemporalError, RPCError) as exc:  # connection refused, unknown run…
        print(f"podium: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        code = 1
    telemetry = sys.modules.get("podium.activities.telemetry")
    if telemetry is not None:  # spans of this command, when tracing is on
        telemetry.flush_traces()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass
    # temporalio/sdk-python#300: skip interpreter teardown once output is flushed.
    os._exit(code)
