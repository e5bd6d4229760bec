"""Imports flow one way — starters/workers → compiler → workflows → activities — and no
import goes round in a circle, counting imports inside functions and ``TYPE_CHECKING``
blocks (moving an import into a function hides a circle, it does not remove it): the
layering ARCHITECTURE.md promises, held by a test."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

LAYERS = ("activities", "compiler", "workflows", "workers", "starters")
MAY_IMPORT = {
    "activities": {"activities"},
    "workflows": {"activities", "workflows"},
    "compiler": {"activities", "workflows", "compiler"},
    "workers": {"activities", "workflows", "compiler", "workers"},
    "starters": {"activities", "workflows", "compiler", "starters"},
    "": {"activities", "workflows", "compiler", "workers", "starters", ""},  # the public API
}


def layer(module: str) -> str:
    """``podium.workflows.plan`` → ``workflows``; the ``podium`` package itself → ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else ""


def module_imports() -> dict[str, set[str]]:
    """Podium modules each module imports, wherever the import statement is."""
    found: dict[str, set[str]] = {}
    for package in (*LAYERS, "podium"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            dotted = ".".join(parts).removesuffix(".__init__")
            name = dotted if package == "podium" else f"podium.{dotted}"
            found[name] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                targets = []
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                found[name] |= {t for t in targets if t.split(".")[0] == "podium"}
    return found


def test_imports_flow_one_way():
    wrong = [
        f"{module} imports {target}"
        for module, targets in module_imports().items()
        for target in targets
        if layer(target) not in MAY_IMPORT[layer(module)]
    ]
    assert not wrong, wrong


def test_nothing_that_runs_in_a_workflow_imports_the_compiler():
    graph = module_imports()
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if layer(module) in ("workflows", "activities")
        for target in targets
        if layer(target) == "compiler"
    ]
    assert not wrong, wrong


def test_no_import_circles():
    graph = module_imports()
    modules = set(graph)
    edges = {
        m: {t if t in modules else t.rsplit(".", 1)[0] for t in ts} & modules - {m}
        for m, ts in graph.items()
    }
    # a package's __init__ re-exporting its own submodules is not a circle worth naming
    for m in modules:
        if m.count(".") >= 1 and (ROOT / m.removeprefix("podium.").replace(".", "/")).is_dir():
            for child in list(edges[m]):
                if child.startswith(m + ".") and m in edges[child]:
                    edges[m].discard(child)
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
