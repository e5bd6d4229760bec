"""Imports flow one way (starters/workers → workflows → activities) and no module-level
import goes round in a circle: the layering ARCHITECTURE.md promises, held by a test."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

LAYERS = ("activities", "workflows", "workers", "starters")
MAY_IMPORT = {
    "activities": {"activities"},
    "workflows": {"activities", "workflows"},
    "workers": {"activities", "workflows", "workers"},
    "starters": {"activities", "workflows", "starters"},
    "": {"activities", "workflows", "workers", "starters", ""},  # podium: the public API
}


def layer(module: str) -> str:
    """``podium.workflows.plan`` → ``workflows``; the ``podium`` package itself → ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else ""


def module_imports() -> dict[str, set[str]]:
    """Podium modules each module imports at module level (not inside functions or
    ``TYPE_CHECKING`` blocks)."""
    found: dict[str, set[str]] = {}
    for package in (*LAYERS, "podium"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            dotted = ".".join(parts).removesuffix(".__init__")
            name = dotted if package == "podium" else f"podium.{dotted}"
            found[name] = set()
            for node in _top_level(ast.parse(path.read_text())):
                targets = []
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                found[name] |= {t for t in targets if t.split(".")[0] == "podium"}
    return found


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.With | ast.If | ast.Try):
            out += [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
        else:
            out.append(node)
    return out


def test_imports_flow_one_way():
    wrong = [
        f"{module} imports {target}"
        for module, targets in module_imports().items()
        for target in targets
        if layer(target) not in MAY_IMPORT[layer(module)]
    ]
    assert not wrong, wrong


def test_no_import_circles():
    graph = module_imports()
    modules = set(graph)
    edges = {
        m: {t if t in modules else t.rsplit(".", 1)[0] for t in ts} & modules
        for m, ts in graph.items()
    }
    cycles = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(" → ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)
