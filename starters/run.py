"""``podium run SPEC --input '{...}' [--wait]``: compile, start, print id and link.

With ``--wait`` a terminal shows the steps table live while the run goes on; in a pipe
nothing is printed until the end. Either way the final table, each step's output and
the totals close the output.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from temporalio.client import Client, WorkflowFailureError

from activities.connection import connect
from starters import live
from starters.inputs import InputError, read_input
from starters.launch import start_run, ui_link
from starters.report import print_totals
from workflows.compiler import compile_spec
from workflows.inputs import check_input
from workflows.problems import CompileError
from workflows.state import RunState


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
) -> int:
    """Start one run; with ``wait`` show it live and print its result. Returns the exit code."""
    out = out or sys.stdout
    try:
        run_input: dict[str, Any] = read_input(input_text, input_file)
        plan = compile_spec(spec, offline=offline)
        check_input(plan, run_input, input_file or "--input")
    except (InputError, CompileError) as exc:
        print(f"podium run: not started.\n{exc}", file=sys.stderr)
        return 2
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
    try:
        result = await handle.result()
    except WorkflowFailureError as exc:
        cause = exc.cause
        print(f"run {handle.id} failed: {getattr(cause, 'message', cause)}", file=sys.stderr)
        state = await handle.query("status", result_type=RunState)
        live.print_run(handle.id, state, out)
        return 1
    live.print_run(handle.id, result.state, out)
    print_totals(result, out)
    return 0


async def cancel(run_id: str, address: str | None = None) -> int:
    """Request cancellation of ``run_id``; its compensations run before it ends."""
    client = await connect(address)
    await client.get_workflow_handle(run_id).cancel()
    print(
        f"cancellation requested for {run_id}; completed steps with compensate: are undone "
        "before it ends (see `temporal workflow describe` or the Web UI)"
    )
    return 0
