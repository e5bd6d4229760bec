"""One worker process of a peer variant of ``bench/peak.py``.

    PYTHONPATH=bench .venv-bench/bin/python -m peers.worker {openai_agents,pydantic_ai}
        --address HOST:PORT [--call-ms 200] [--activity-slots 2000] [--unsandboxed]

Connects with the framework's plugin, serves its support_triage workflow and model
activities on one task queue with ``--activity-slots`` slots (as many as a ``podium
worker``'s provider queue), its workflows in temporalio's sandbox (what the frameworks'
docs run; ``--unsandboxed``: directly, as ``podium worker`` runs Podium's), and prints
``peer worker ready`` once polling. Runs until SIGTERM, then shuts the worker down.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner

from peers.support_script import Latency

FLOWS = {"openai_agents": "peers.openai_agents_flow", "pydantic_ai": "peers.pydantic_ai_flow"}


async def serve(args: argparse.Namespace) -> None:
    flow = importlib.import_module(FLOWS[args.variant])
    Latency.seconds = args.call_ms / 1000
    client = await Client.connect(args.address, plugins=[flow.plugin()])
    runner = UnsandboxedWorkflowRunner() if args.unsandboxed else None
    worker = flow.worker(client, args.activity_slots, runner)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        print(f"peer worker ready (pid {os.getpid()}): {args.variant}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=sorted(FLOWS))
    parser.add_argument("--address", required=True)
    parser.add_argument("--call-ms", type=int, default=200)
    parser.add_argument("--activity-slots", type=int, default=2000)
    parser.add_argument("--unsandboxed", action="store_true")
    asyncio.run(serve(parser.parse_args()))
    sys.stdout.flush()
    os._exit(0)  # without interpreter teardown (temporalio/sdk-python#300)


if __name__ == "__main__":
    main()
