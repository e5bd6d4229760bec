"""``podium run SPEC --input '{...}' [--wait | --follow]``: compile, start, print id and link.

With ``--follow`` the run's events are shown as they happen (``podium watch``) and its
agents stream their text from the first call. With ``--wait`` a terminal shows the steps
table live while the run goes on; in a pipe only a line per request for a person (who,
which request, the command that answers it) is printed until the end. Either way the
final table, each step's output and the totals close the output. Exit codes:
``starters.exit_codes``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

from podium.activities.payloads.settings import PayloadSettingsError
from podium.compiler.inputs import check_input
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters import exit_codes, run_view, waiting, watch_view
from podium.starters.connect import connect, payload_settings
from podium.starters.inputs import InputError, read_input
from podium.starters.launch import start_run, ui_link
from podium.starters.payload_size import InputTooLarge, check_size
from podium.starters.runs import read_run
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import Priority


async def main(
    client: Client | None = None,
    *,
    spec: str,
    input_text: str | None = None,
    input_file: str | None = None,
    wait: bool = False,
    follow: bool = False,
    offline: bool | None = None,
    workflow_id: str | None = None,
    address: str | None = None,
    out: TextIO | None = None,
    poll_s: float = run_view.POLL_S,
    priority: int | None = None,
    fairness_key: str | None = None,
    fairness_weight: float | None = None,
) -> int:
    """Start one run; with ``wait`` show it live and print its result, with ``follow`` its
    events and the agents' text as they happen, then its result. Returns the exit code."""
    out = out or sys.stdout
    try:
        run_input: dict[str, Any] = read_input(input_text, input_file)
        plan = compile_spec(spec, offline=offline)
        check_input(plan, run_input, input_file or "--input")
        stored = (
            client.data_converter.external_storage is not None
            if client is not None
            else payload_settings(address).store is not None
        )
        check_size(plan, run_input, input_file or "--input", stored=stored)
    except (InputError, CompileError, InputTooLarge, PayloadSettingsError) as exc:
        print(f"podium run: not started.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    for warning in plan.warnings:
        out.write(f"warning: {warning}\n")
    client = client or await connect(address)
    chosen = Priority(
        priority_key=priority, fairness_key=fairness_key, fairness_weight=fairness_weight
    )
    handle = await start_run(
        client, plan, run_input, workflow_id=workflow_id, priority=chosen, follow=follow
    )
    out.write(f"started {plan.name} run {handle.id}\n")
    out.write(f"web UI: {ui_link(handle.id, client.namespace)}\n")
    out.flush()
    if not wait and not follow:
        return 0
    if follow:  # its events as they happen, the agents' text as it is written
        await watch_view.show(client, handle.id, out)
    elif out.isatty():
        await run_view.watch(handle, out, transient=True)
    # in a pipe nothing is drawn: say when (and why) the run waits for a person
    announcer = None
    if not follow and not out.isatty():
        announcer = asyncio.create_task(waiting.announce(handle, out, poll_s))
    try:
        result = await handle.result()
    except WorkflowFailureError as exc:
        state, _ = await read_run(handle)
        if state.status == "cancelled":
            print(
                f"run {handle.id} was cancelled" + (f": {state.error}" if state.error else ""),
                file=sys.stderr,
            )
            run_view.print_run(handle.id, state, out)
            return exit_codes.CANCELLED
        cause = exc.cause
        print(f"run {handle.id} failed: {getattr(cause, 'message', cause)}", file=sys.stderr)
        run_view.print_run(handle.id, state, out)
        return exit_codes.FAILED
    finally:
        if announcer is not None:
            announcer.cancel()
    run_view.print_run(handle.id, result.state, out)
    run_view.print_totals(result, out)
    return exit_codes.OK
