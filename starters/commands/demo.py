"""``podium demo`` (``make demo``): start the dev stack, run the sample offline, show the result."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

from podium.activities.connection import connect
from podium.compiler.inputs import check_input
from podium.compiler.spec_compiler import compile_spec
from podium.starters.devstack import DevStack
from podium.starters.inputs import read_input
from podium.starters.launch import start_run, ui_link
from podium.starters.run_view import print_result
from temporalio.client import Client

SPEC = Path("specs/market_entry.yaml")
INPUT = Path("specs/inputs/market_entry.json")


async def run_sample(client: Client) -> str:
    """Run the sample spec offline and print its result; return the run id."""
    plan = compile_spec(SPEC, offline=True)
    run_input: dict[str, Any] = read_input(None, str(INPUT))
    check_input(plan, run_input, str(INPUT))
    handle = await start_run(client, plan, run_input)
    print(f"\nrunning {plan.name} ({len(plan.steps)} steps, offline scripted model) as {handle.id}")
    result = await handle.result()
    print_result(result, sys.stdout)
    print(f"run id: {handle.id}\nweb UI: {ui_link(handle.id, client.namespace)}")
    return handle.id


def main(client: Client | None = None) -> int:
    """Demo entry point; stops everything it started on exit, Ctrl-C included."""
    import asyncio

    def terminate(*_: Any) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):  # like Ctrl-C: stop what it started
        signal.signal(sig, terminate)
    if client is not None:
        asyncio.run(run_sample(client))
        return 0
    stack = DevStack()
    try:
        stack.start()

        async def go() -> None:
            await run_sample(await connect(stack.address))

        asyncio.run(go())
        if sys.stdout.isatty() and sys.stdin.isatty():
            print("\nThe server and worker stay up so you can open the link. Press Ctrl-C to stop.")
            while True:
                time.sleep(1)
        return 0
    except KeyboardInterrupt:
        print("\nstopping …")
        return 0
    finally:
        stack.stop()
