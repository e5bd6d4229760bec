"""bench/throughput.py's podium flow (runs of a 3-step scripted chain at once, no
subscriber) in this tree against another checkout of it, e.g. the commit before a change:

    git worktree add /tmp/bench-before 447f257
    .venv/bin/python bench/tree_throughput.py /tmp/bench-before [--rounds 5] [--runs 300]
    git worktree remove /tmp/bench-before

Each round runs in a process of its own with its own dev server and in-process workers,
importing the tree's code from its root (checked: the round prints where
``podium.workflows.interpreter`` came from); the trees alternate, and so does which one
goes first. Prints runs/s of each and their ratio per round, as median (min–max).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import spread  # noqa: E402

ROUND = """
import asyncio, sys
sys.path[:0] = [{root!r}, {root!r} + "/bench"]
from harness import finish, run_workers, start_server
from overhead import podium_plan
from throughput import measure, server_pid
import podium.workflows.interpreter as interpreter
from podium.starters.launch import start_run

async def main():
    env = await start_server()
    running = await run_workers(env, [])
    server = server_pid(env.client.service_client.config.target_host.rsplit(":", 1)[1])
    plan = podium_plan(3)

    async def one(_):
        await (await start_run(env.client, plan, {{}})).result()

    await measure(one, 20, server)
    rate, server_ms, worker_ms = await measure(one, {runs}, server)
    print(interpreter.__file__, rate, server_ms, worker_ms, flush=True)
    await finish(env)

asyncio.run(main())
"""
"""One round: that tree's bench/throughput.py ``measure`` of its podium flow (20 runs to
warm up, then ``runs``), with that tree's harness, workers and code: runs/s, the dev
server's CPU ms per run, this process's (workers and client) CPU ms per run."""


def throughput_round(root: Path, runs: int) -> tuple[tuple[float, float, float], str]:
    """``(runs/s, server CPU ms/run, worker CPU ms/run)`` of ``root``'s podium flow in a
    process of its own, and the file its interpreter came from (which must be ``root``'s)."""
    code = ROUND.format(root=str(root), runs=runs)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    where, figures = out[-4], (float(out[-3]), float(out[-2]), float(out[-1]))
    assert where.startswith(f"{root}/"), f"{root}'s round imported {where}"
    return figures, where


def throughput(before: Path, rounds: int, runs: int) -> str:
    """Rounds of this tree and ``before``, alternating (each round printed as it ends);
    the summary."""
    after, before = ROOT, before.resolve()
    rounds_of: dict[Path, list[tuple[float, float, float]]] = {after: [], before: []}
    imported: dict[Path, str] = {}
    for i in range(rounds):  # which tree goes first alternates too
        for root in (after, before) if i % 2 == 0 else (before, after):
            figures, imported[root] = throughput_round(root, runs)
            rounds_of[root].append(figures)
        a, b = rounds_of[after][-1], rounds_of[before][-1]
        print(f"  round {i + 1}: this tree {a[0]:.1f} runs/s, before {b[0]:.1f}", flush=True)
    lines = [
        f"throughput, no subscriber ({runs} runs of 3 steps at once, {rounds} rounds, each in "
        "its own process and dev server)"
    ]
    for root, name in ((after, "this tree"), (before, "before")):
        rate, server, worker = ([r[k] for r in rounds_of[root]] for k in range(3))
        lines.append(
            f"  {name:<9} runs/s {spread(rate, 1)}; server CPU ms/run {spread(server, 1)}; "
            f"worker CPU ms/run {spread(worker, 1)}\n            ({imported[root]})"
        )
    ratios = [a[0] / b[0] for a, b in zip(rounds_of[after], rounds_of[before], strict=True)]
    lines.append(f"ratio runs/s this tree / before: {spread(ratios, 3)}; target >= 0.95")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="the checkout to compare this tree with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    print(throughput(args.before, args.rounds, args.runs), flush=True)


if __name__ == "__main__":
    main()
