"""A provider limited to R requests/second: does Podium keep under it, and use it fully?

A local OpenAI-compatible server (labelled stand-in for the provider) counts the
requests it receives in every wall-clock second and records each one over R. Four
runs map over 250 items each (1,000 agent calls) through two worker processes that
serve the provider's task queue, whose rate Temporal's matching service enforces
across both (``requests_per_second`` in the catalog → ``max_task_queue_activities_per_second``).

    .venv/bin/python bench/ratelimit.py [--rate 20] [--calls 1000] [--runs 4] [--workers 2]

Prints goodput / R (successful calls per second over the busy period, divided by R) and
the number of seconds in which the server saw more than R requests. Targets: ≥ 0.95, 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podium.compiler.spec_compiler import compile_spec  # noqa: E402
from podium.starters.launch import start_run  # noqa: E402

from bench.harness import finish, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEY_VAR = "PODIUM_BENCH_KEY"


class CountingProvider:
    """Loopback chat-completions server that counts arrivals per wall-clock second."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                now = time.time()
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with provider.lock:
                    provider.arrivals.append(now)
                body = json.dumps(
                    {
                        "id": "cmpl-bench",
                        "object": "chat.completion",
                        "model": "bench-model",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "ok"},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 20, "completion_tokens": 1},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def per_second(self) -> Counter[int]:
        """Requests received in each wall-clock second."""
        with self.lock:
            return Counter(int(t) for t in self.arrivals)


def start_worker(address: str, catalog: Path, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workers",
            "--address",
            address,
            "--catalog",
            str(catalog),
            "--provider",
            "limited",
        ],
        cwd=ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
        env={**os.environ, KEY_VAR: "bench-key-not-secret", "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while b"podium worker ready" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start: {log.read_text()}")
        time.sleep(0.1)
    return process


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    provider = CountingProvider(args.rate)
    work = Path(tempfile.mkdtemp(prefix="podium-ratelimit-"))
    catalog = work / "agents.yaml"
    catalog.write_text(
        yaml.safe_dump(
            {
                "providers": {
                    "limited": {
                        "base_url": f"{provider.url}/v1",
                        "api_key_env": KEY_VAR,
                        "requests_per_second": args.rate,
                        "circuit": False,
                    }
                },
                "agents": {
                    "caller": {
                        "model": "limited:bench-model",
                        "retry": {"max_attempts": 5, "initial_interval": "200ms"},
                    }
                },
            }
        )
    )
    spec = work / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "ratelimit",
                "agents": "agents.yaml",
                "steps": [
                    {
                        "id": "calls",
                        "map": {"over": "input.items", "as": "n", "max_concurrency": 500},
                        "step": {"agent": "caller", "with": {"n": "vars.n"}},
                    }
                ],
            }
        )
    )
    os.environ[KEY_VAR] = "bench-key-not-secret"  # compile with the real provider
    plan = compile_spec(spec)
    env = await start_server()
    address = env.client.service_client.config.target_host
    workers = [start_worker(address, catalog, work / f"worker{i}.log") for i in range(args.workers)]
    try:
        per_run = args.calls // args.runs
        started = time.time()
        handles = [
            await start_run(
                env.client,
                plan,
                {"items": list(range(k * per_run, (k + 1) * per_run))},
                workflow_id=f"ratelimit-{k}-{int(started)}",
            )
            for k in range(args.runs)
        ]
        results = await asyncio.gather(*(h.result() for h in handles))
        ended = time.time()
    finally:
        for process in workers:
            os.killpg(process.pid, signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    calls = sum(len(r.output) for r in results)
    arrivals = sorted(provider.arrivals)
    busy = arrivals[-1] - arrivals[0]
    goodput = (len(arrivals) - 1) / busy if busy > 0 else float("inf")
    counts = provider.per_second()
    full = [counts[s] for s in range(int(arrivals[0]) + 1, int(arrivals[-1]))]  # whole seconds
    over = {s: n for s, n in counts.items() if n > args.rate}
    print(
        f"{calls} calls from {args.runs} runs over {args.workers} worker processes; "
        f"limit R = {args.rate} req/s; {len(arrivals)} requests reached the provider"
    )
    print(f"wall time {ended - started:.1f} s; busy period {busy:.1f} s")
    print(
        f"requests per full second: median {statistics.median(full):.0f} "
        f"(min {min(full)} – max {max(full)})"
    )
    slow = [(s - int(arrivals[0]), n) for s, n in sorted(counts.items()) if n < 0.9 * args.rate]
    print(f"seconds under 0.9 R (second of the run, requests): {slow}")
    print(f"goodput / R = {goodput / args.rate:.3f} (target >= 0.95)")
    print(f"seconds over the limit: {len(over)} (target 0) {dict(sorted(over.items()))}")
    await finish(env)


if __name__ == "__main__":
    asyncio.run(main())
