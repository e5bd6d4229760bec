"""``podium graph SPEC [--png FILE]``: the compiled plan as Mermaid text (and an image)."""

from __future__ import annotations

import sys
from pathlib import Path

from podium.compiler.graph import plan_graph, to_mermaid
from podium.starters.compiling import compile_or_report


def main(spec: str, png: str | None = None) -> int:
    """Print the Mermaid text of ``spec``; with ``png`` also write an image."""
    plan = compile_or_report(spec, offline=True)
    if plan is None:
        return 1
    graph = plan_graph(plan)
    print(to_mermaid(graph), end="")
    if png:
        try:
            from podium.starters.graph_image import render_png

            render_png(graph, Path(png), title=plan.name)
        except ImportError:
            print(
                "podium graph --png needs matplotlib: pip install 'podium[graph]'", file=sys.stderr
            )
            return 1
        print(f"%% image written to {png}", file=sys.stderr)
    return 0
