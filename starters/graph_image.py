"""Drawing a plan graph as a PNG with matplotlib.

Why matplotlib: it installs from PyPI as a wheel (no system Graphviz, no headless
browser download as mermaid-cli needs), so ``podium graph --png`` works on any machine
that can ``pip install``. The layout is layered: each box sits one row below the
lowest box pointing to it; refine loops are drawn as dashed arcs back up.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from podium.compiler.graph import Graph

COLORS = {
    "start": "#d9ead3",
    "end": "#d9ead3",
    "agent": "#cfe2f3",
    "fork": "#fff2cc",
    "join": "#fff2cc",
    "map": "#ead1dc",
    "route": "#fce5cd",
    "merge": "#fce5cd",
    "until": "#f4cccc",
    "approval": "#f9cb9c",
    "child": "#d9d2e9",
}


def _layers(graph: Graph) -> tuple[dict[str, int], set[tuple[str, str]]]:
    children: dict[str, list[str]] = {n.key: [] for n in graph.nodes}
    for a, b, _ in graph.edges:
        children[a].append(b)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}

    def dfs(node: str) -> None:
        state[node] = 1
        for child in children[node]:
            if state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                dfs(child)
        state[node] = 2

    for node in graph.nodes:
        if node.key not in state:
            dfs(node.key)
    depth = {n.key: 0 for n in graph.nodes}
    for _ in graph.nodes:  # longest path over the acyclic edges (small graphs)
        for a, b, _label in graph.edges:
            if (a, b) not in back:
                depth[b] = max(depth[b], depth[a] + 1)
    return depth, back


def render_png(graph: Graph, path: Path, title: str = "") -> None:
    """Write ``graph`` as a PNG image to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    depth, back = _layers(graph)
    rows: dict[int, list[str]] = {}
    for node in graph.nodes:
        rows.setdefault(depth[node.key], []).append(node.key)
    width = max(len(r) for r in rows.values())
    box_w, box_h, gap_x, gap_y = 3.0, 0.9, 0.6, 0.9
    pos: dict[str, tuple[float, float]] = {}
    for level, keys in rows.items():
        offset = (width - len(keys)) * (box_w + gap_x) / 2
        for i, key in enumerate(keys):
            pos[key] = (offset + i * (box_w + gap_x) + box_w / 2, -level * (box_h + gap_y))
    fig_w = max(6.0, width * (box_w + gap_x) * 0.75)
    fig_h = max(3.0, len(rows) * (box_h + gap_y) * 0.75)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    labels = {n.key: n for n in graph.nodes}
    for a, b, label in graph.edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        is_back = (a, b) in back
        arrow = FancyArrowPatch(
            (x1, y1 - box_h / 2 if not is_back else y1),
            (x2, y2 + box_h / 2 if not is_back else y2),
            arrowstyle="-|>",
            mutation_scale=12,
            color="#555555",
            lw=1,
            linestyle="--" if is_back else "-",
            connectionstyle="arc3,rad=0.9" if is_back else "arc3,rad=0",
        )
        ax.add_patch(arrow)
        if label:
            ax.text(
                (x1 + x2) / 2 + (box_w / 2 + 0.2 if is_back else 0.05),
                (y1 + y2) / 2,
                label,
                fontsize=7,
                color="#333333",
                ha="left",
                va="center",
            )
    for key, (x, y) in pos.items():
        node = labels[key]
        rounded = node.shape in ("start", "end", "join", "merge")
        ax.add_patch(
            FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2),
                box_w,
                box_h,
                boxstyle="round,pad=0.02,rounding_size=0.35" if rounded else "square,pad=0.02",
                facecolor=COLORS.get(node.shape, "#eeeeee"),
                edgecolor="#444444",
                lw=1,
            )
        )
        ax.text(
            x, y, "\n".join(textwrap.wrap(node.label, 34)[:3]), ha="center", va="center", fontsize=7
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - box_w, max(xs) + box_w)
    ax.set_ylim(min(ys) - box_h, max(ys) + box_h)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
