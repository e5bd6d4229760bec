"""``podium run SPEC --input '{...}' [--wait]``: compile, start, print id and link.

With ``--wait`` a terminal shows the steps table live while the run goes on; in a pipe
only a line per request for a person (who, which request, the command that answers it)
is printed until the end. Either way the final table, each step's output and the totals
close the output. Exit codes: ``starters.exit_codes``.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, TextIO

from temporalio.client import Client, WorkflowFailureError

from starters import exit_codes, live, waiting
from starters.cancellation import cancel_reason
from starters.connect import connect
from starters.humans import default_user
from starters.inputs import InputError, read_input
from starters.launch import start_run, ui_link
from starters.payload_size import InputTooLarge, check_size
from starters.report import print_totals
from workflows.compiler import compile_spec
from workflows.inputs import check_input
from workflows.problems import CompileError


async def main(
    client: Client | None = None,
    *,
    spec: str,
    input_text: str | None = None,
    input_file: str | None = None,
    wait: bool = False,
    offline: bool | None = None,
    workflow_id: str | None = None,
    address: str | None = None,
    out: TextIO | None = None,
    poll_s: float = live.POLL_S,
) -> int:
    """Start one run; with ``wait`` show it live and print its result. Returns the exit code."""
    out = out or sys.stdout
    try:
        run_input: dict[str, Any] = read_input(input_text, input_file)
        plan = compile_spec(spec, offline=offline)
        check_input(plan, run_input, input_file or "--input")
        check_size(plan, run_input, input_file or "--input")
    except (InputError, CompileError, InputTooLarge) as exc:
        print(f"podium run: not started.\n{exc}", file=sys.stderr)
        return exit_codes.USAGE
    for warning in plan.warnings:
        out.write(f"warning: {warning}\n")
    client = client or await connect(address)
    handle = await start_run(client, plan, run_input, workflow_id=workflow_id)
    out.write(f"started {plan.name} run {handle.id}\n")
    out.write(f"web UI: {ui_link(handle.id, client.namespace)}\n")
    out.flush()
    if not wait:
        return 0
    if out.isatty():
        await live.watch(handle, out, transient=True)
    # in a pipe nothing is drawn: say when (and why) the run waits for a person
    announcer = None if out.isatty() else asyncio.create_task(waiting.announce(handle, out, poll_s))
    try:
        result = await handle.result()
    except WorkflowFailureError as exc:
        state, _ = await live.read_run(handle)
        if state.status == "cancelled":
            print(
                f"run {handle.id} was cancelled" + (f": {state.error}" if state.error else ""),
                file=sys.stderr,
            )
            live.print_run(handle.id, state, out)
            return exit_codes.CANCELLED
        cause = exc.cause
        print(f"run {handle.id} failed: {getattr(cause, 'message', cause)}", file=sys.stderr)
        live.print_run(handle.id, state, out)
        return exit_codes.FAILED
    finally:
        if announcer is not None:
            announcer.cancel()
    live.print_run(handle.id, result.state, out)
    print_totals(result, out)
    return exit_codes.OK


async def cancel(run_id: str, address: str | None = None, reason: str | None = None) -> int:
    """Request cancellation of ``run_id``; its compensations run before it ends.

    The request records ``reason`` and who asked; ``podium status`` shows both.
    """
    client = await connect(address)
    await client.get_workflow_handle(run_id).cancel(reason=cancel_reason(reason, default_user()))
    print(
        f"cancellation requested for {run_id}; completed steps with compensate: are undone "
        "before it ends (see `temporal workflow describe` or the Web UI)"
    )
    return 0
