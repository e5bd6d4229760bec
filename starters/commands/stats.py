"""``podium stats [--spec NAME] [--since 24h]``: how runs went, across runs, and how
accurate each agent was.

The figures are ``starters.run_stats``' (shared with the console's "At a glance" page);
this module prints them, and below them what each spend window's key has spent today and
this month (``starters.spend_stats``).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TextIO

from podium.starters.connect import connect
from podium.starters.formatting import latency_text, ms_text, usd, when_minute
from podium.starters.run_stats import (
    AgentStats,
    Stats,
    gather,
    specs_with_runs,
    visibility_query,
)
from podium.starters.spend_stats import gather_spend, print_spend
from podium.workflows.durations import parse_duration
from temporalio.client import Client


def print_stats(stats: Stats, since_text: str, out: TextIO) -> None:
    """The statistics as a few lines and a per-agent table."""
    scope = f"runs of {stats.spec}" if stats.spec else "runs"
    out.write(f"{scope} since {when_minute(stats.since)} ({since_text}): {stats.runs}\n")
    if not stats.runs:
        return
    out.write(
        f"  completed {stats.completed}, failed {stats.failed}, "
        f"cancelled {stats.cancelled}, running {stats.running}\n"
    )
    finished = stats.completed + stats.failed + stats.cancelled
    if stats.success_rate is not None:
        out.write(
            f"  success rate {stats.success_rate:.1%} ({stats.completed} of {finished} finished)\n"
        )
    out.write(
        f"  duration p50 {ms_text(stats.duration_p50_ms)}, p95 {ms_text(stats.duration_p95_ms)}\n"
    )
    if stats.cost_per_run_usd is not None:
        out.write(f"  cost per run {usd(stats.cost_per_run_usd)} (mean of finished runs)\n")
    if stats.agents:
        width = max(5, *(len(a.name) for a in stats.agents)) + 2
        out.write(
            f"\n{'AGENT':<{width}}{'CALLS':>7}{'FAILED':>8}{'ERROR RATE':>12}{'P95 LATENCY':>13}\n"
        )
        for agent in stats.agents:
            p95 = latency_text(agent.p95_latency_ms)
            out.write(
                f"{agent.name:<{width}}{agent.calls:>7}{agent.failed:>8}"
                f"{agent.error_rate:>12.1%}{p95:>13}\n"
            )
    if stats.agents:
        print_accuracy(stats.agents, out)
    if stats.unreadable:
        out.write(
            f"note: {len(stats.unreadable)} run(s) counted without their state "
            f"(no worker answered): {', '.join(stats.unreadable[:5])}\n"
        )


ACCURACY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("INVALID", 9),
    ("REPAIRED", 10),
    ("REVIEWS OK", 12),
    ("PEOPLE REJECTED", 17),
    ("EVAL SCORE", 12),
)
"""Titles and widths of the accuracy table's columns."""


def print_accuracy(agents: list[AgentStats], out: TextIO) -> None:
    """Each agent's accuracy: answers that failed the output contract, how many of those a
    repair fixed, drafts the refine reviewer accepted, people's rejections of its work and
    its mean eval score ("-": nothing measured)."""
    width = max(8, *(len(a.name) for a in agents)) + 2
    out.write(f"\n{'ACCURACY':<{width}}")
    out.write("".join(f"{title:>{size}}" for title, size in ACCURACY_COLUMNS).rstrip() + "\n")
    for agent in agents:
        cells = (
            "-" if agent.contract_failure_rate is None else f"{agent.contract_failure_rate:.1%}",
            _share(agent.repairs, agent.contract_failures),
            _share(agent.reviews_accepted, agent.reviews_accepted + agent.reviews_rejected),
            _share(agent.human_rejected, agent.human_approved + agent.human_rejected),
            "-" if agent.eval_score is None else f"{agent.eval_score:.2f} ({agent.eval_scores})",
        )
        sizes = [size for _, size in ACCURACY_COLUMNS]
        row = "".join(f"{cell:>{size}}" for cell, size in zip(cells, sizes, strict=True))
        out.write(f"{agent.name:<{width}}{row}\n")


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


async def main(
    client: Client | None,
    spec: str | None = None,
    since: str = "24h",
    fmt: str = "text",
    address: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Print statistics over runs started in the last ``since`` (e.g. ``24h``, ``7d``)."""
    out = out or sys.stdout
    try:
        since_s = parse_duration(since)
        visibility_query(spec, datetime.now(UTC))
    except ValueError as exc:
        print(f"podium stats: {exc}", file=sys.stderr)
        return 2
    client = client or await connect(address)
    stats = await gather(client, spec, since_s)
    spend = await gather_spend(client)  # (every window: they are not per spec)
    if fmt == "json":
        figures = stats.model_dump(mode="json")
        figures["spend_windows"] = [w.model_dump(mode="json") for w in spend]
        out.write(json.dumps(figures, indent=2) + "\n")
    elif spec and not stats.runs:  # a typo must not read as "0 runs, all fine"
        others = await specs_with_runs(client, stats.since)
        out.write(
            f"no runs of spec {spec!r} since {when_minute(stats.since)} ({since}); "
            + (f"specs with runs then: {', '.join(others)}\n" if others else "no runs at all\n")
        )
    else:
        print_stats(stats, since, out)
    if fmt != "json":
        print_spend(spend, out)
    return 0
