"""``podium report RUN [--format md|json]``: what a run did, who did it, what it cost."""

from __future__ import annotations

import sys
from typing import TextIO

from podium.starters.connect import connect
from podium.starters.report_markdown import to_markdown
from podium.starters.run_report import gather, to_json
from podium.starters.runs import RunNotFound
from temporalio.client import Client


async def main(
    client: Client | None,
    run_id: str,
    fmt: str = "md",
    address: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the report of ``run_id`` as Markdown (``md``) or JSON (``json``)."""
    out = out or sys.stdout
    client = client or await connect(address)
    try:
        report = await gather(client, run_id)
    except RunNotFound as exc:
        print(f"podium report: {exc}", file=sys.stderr)
        return 1
    out.write((to_json(report) if fmt == "json" else to_markdown(report)) + "\n")
    return 0
