"""Is this code safe to run inside a workflow? A static check of Python source.

Podium's workers run workflows outside temporalio's sandbox (and even inside it, Podium's
modules are passed through), so nothing at run time stops workflow code from reading the
clock or a file; a replay on another worker would then take another path. This check
reads the source of workflow code — ``workflows/``, the step kinds registered (a user's
too), and the ``activities/`` helpers workflow code calls — and names each place that
could make a replay differ:

- clock, randomness, environment: ``datetime.now``, ``time.*``, ``uuid.uuid4``,
  ``random``, ``secrets``, ``os.environ`` / ``os.getenv`` / ``os.urandom``, whatever name
  or alias they are imported under (``import time as t``, ``from datetime import
  datetime as D``), also through ``getattr(time, "time")``;
- ``hash()`` (randomized per process for text) and iterating a set (``for x in {…}``,
  ``set(…)``, a set comprehension): their order differs between processes;
- I/O, threads and processes: ``open()``, ``Path.read_text``-style calls, and importing
  ``threading``, ``multiprocessing``, ``concurrent``, ``subprocess``, ``socket``, ``httpx``
  and other modules outside ``ALLOWED_IMPORTS``;
- ``global`` statements: module state shared by every run in the worker process.

``check_source`` checks one module's text; ``check_module`` an imported module (and the
functions it imports from ``podium.activities``, which run in the workflow too);
``check_kind`` a registered step kind (``podium worker`` runs it over every kind at start,
``tests/workflows/test_determinism.py`` over ``workflows/``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

FORBIDDEN_CALLS = {
    "datetime.datetime.now": "workflow.now()",
    "datetime.datetime.utcnow": "workflow.now()",
    "datetime.datetime.today": "workflow.now()",
    "datetime.date.today": "workflow.now().date()",
    "time.time": "workflow.time()",
    "time.time_ns": "workflow.time_ns()",
    "time.monotonic": "workflow.time()",
    "time.monotonic_ns": "workflow.time_ns()",
    "time.perf_counter": "workflow.time()",
    "time.perf_counter_ns": "workflow.time_ns()",
    "time.process_time": "workflow.time()",
    "time.sleep": "workflow.sleep()",
    "time.localtime": "workflow.now()",
    "time.gmtime": "workflow.now()",
    "uuid.uuid1": "workflow.uuid4()",
    "uuid.uuid4": "workflow.uuid4()",
    "os.getenv": "the plan (compiled on the client) or an activity",
    "os.environ": "the plan (compiled on the client) or an activity",
    "os.urandom": "workflow.random()",
}
"""Fully qualified name → what workflow code uses instead."""
FORBIDDEN_MODULES = {
    "random": "workflow.random()",
    "secrets": "workflow.random() (or an activity, for real secrets)",
}
"""Every use of these modules is forbidden."""
FILE_IO = {"read_text", "read_bytes", "write_text", "write_bytes", "open", "iterdir", "glob"}
ALLOWED_IMPORTS = {
    "__future__",
    "abc",
    "asyncio",
    "collections",
    "contextlib",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "itertools",
    "jinja2",
    "jmespath",
    "json",
    "math",
    "operator",
    "pydantic",
    "pydantic_core",
    "re",
    "string",
    "temporalio",
    "textwrap",
    "typing",
    "typing_extensions",
    "uuid",
    "time",
    "random",
    "secrets",
    "os",
    "podium",
}
"""Top-level modules workflow code may import (``time``, ``uuid``, ``random``, ``secrets``
and ``os`` for the names this check then refuses by use: an import alone is harmless and
common in type hints). Anything else — ``threading``, ``subprocess``, ``socket``,
``httpx``, ``pathlib`` — is I/O, threads or processes, and belongs in an activity."""


@dataclass(frozen=True)
class Finding:
    """One place that could make a replay differ."""

    file: str
    line: int
    what: str
    instead: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what} — {self.instead}"


def check_source(source: str, file: str, only: set[str] | None = None) -> list[Finding]:
    """Every finding in ``source`` (the text of ``file``); with ``only``, just in the
    module-level functions of those names and the module's imports."""
    tree = ast.parse(source)
    names = _imported_names(tree)
    found: list[Finding] = []
    scopes: list[ast.AST] = [tree]
    if only is not None:
        scopes = [
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in only
        ]
    for scope in scopes:
        for node in ast.walk(scope):
            found += _node_findings(node, names, file)
    if only is None:
        found += _import_findings(tree, file)
    return sorted(set(found), key=lambda f: (f.line, f.what))


def check_module(module: ModuleType | str) -> list[Finding]:
    """Every finding in ``module`` and in the ``podium.activities`` functions it imports
    (helpers such as template rendering run inside the workflow too)."""
    if isinstance(module, str):
        module = importlib.import_module(module)
    file = inspect.getsourcefile(module)
    if file is None:
        return []
    source = Path(file).read_text()
    found = check_source(source, _shown(file))
    for helper_module, names in _activity_helpers(ast.parse(source)).items():
        try:
            helper = importlib.import_module(helper_module)
        except ImportError:
            continue
        functions = {n for n in names if _helper(getattr(helper, n, None))}
        if functions and (helper_file := inspect.getsourcefile(helper)):
            found += check_source(Path(helper_file).read_text(), _shown(helper_file), functions)
    return found


def check_kind(kind: Any) -> list[Finding]:
    """Every finding in the module of a registered step kind (its class and the function
    it runs with)."""
    modules = {type(kind).__module__}
    run = getattr(kind, "_run", None)
    if run is not None:
        modules.add(run.__module__)
    return [f for m in sorted(modules) for f in check_module(m)]


def _helper(value: Any) -> bool:
    """A plain function the workflow calls (an activity runs on a worker, not in it)."""
    return inspect.isfunction(value) and not hasattr(value, "__temporal_activity_definition")


def _shown(file: str) -> str:
    path = Path(file).resolve()
    for parent in path.parents:
        if (parent / "pyproject.toml").is_file():
            return str(path.relative_to(parent))
    return str(path)


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name → fully qualified name, for every import in the module."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.AST, names: dict[str, str]) -> str | None:
    """``dt.datetime.now`` → ``datetime.datetime.now`` through the imports; None if the
    expression does not start from an imported name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in names:
        return None
    return ".".join([names[node.id], *reversed(parts)])


def _forbidden(qualified: str) -> str | None:
    """What to use instead of ``qualified``, if it is forbidden."""
    if qualified in FORBIDDEN_CALLS:
        return FORBIDDEN_CALLS[qualified]
    top = qualified.split(".")[0]
    if top in FORBIDDEN_MODULES and qualified != top:
        return FORBIDDEN_MODULES[top]
    return None


def _node_findings(node: ast.AST, names: dict[str, str], file: str) -> list[Finding]:
    line = getattr(node, "lineno", 0)
    out: list[Finding] = []
    if isinstance(node, ast.Attribute | ast.Name) and not isinstance(
        getattr(node, "ctx", None), ast.Store
    ):
        qualified = _qualified(node, names)
        if qualified and (instead := _forbidden(qualified)):
            out.append(Finding(file, line, qualified, f"use {instead}"))
    if isinstance(node, ast.Attribute) and node.attr in FILE_IO - {"open"}:
        out.append(Finding(file, line, f".{node.attr}()", "files are read by activities"))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "open" and "open" not in names:
            out.append(Finding(file, line, "open()", "files are read by activities"))
        elif node.func.id == "hash" and "hash" not in names:
            out.append(
                Finding(
                    file,
                    line,
                    "hash()",
                    "text hashes differ between processes: compare values, or hash with hashlib",
                )
            )
        elif node.func.id == "getattr" and len(node.args) >= 2:
            target = _qualified(node.args[0], names)
            name = node.args[1]
            if target and isinstance(name, ast.Constant) and isinstance(name.value, str):
                qualified = f"{target}.{name.value}"
                if instead := _forbidden(qualified):
                    out.append(Finding(file, line, f"getattr → {qualified}", f"use {instead}"))
    if isinstance(node, ast.Global):
        out.append(
            Finding(
                file,
                line,
                f"global {', '.join(node.names)}",
                "module state is shared "
                "by every run in the worker: keep it in the run (its state or input)",
            )
        )
    iterated = None
    if isinstance(node, ast.For | ast.AsyncFor):
        iterated = node.iter
    elif isinstance(node, ast.comprehension):
        iterated = node.iter
    if iterated is not None and _is_set(iterated):
        out.append(
            Finding(
                file,
                getattr(iterated, "lineno", line),
                "iterating a set",
                "set order differs between processes: iterate sorted(…) or a list",
            )
        )
    return out


def _is_set(node: ast.AST) -> bool:
    if isinstance(node, ast.Set | ast.SetComp):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in ("set", "frozenset")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.BitAnd | ast.Sub):
        return _is_set(node.left) or _is_set(node.right)
    return False


def _import_findings(tree: ast.Module, file: str) -> list[Finding]:
    out = []
    for node in ast.walk(tree):
        modules: list[str] = []
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        for module in modules:
            top = module.split(".")[0]
            if top not in ALLOWED_IMPORTS:
                out.append(
                    Finding(
                        file,
                        line,
                        f"import {module}",
                        "I/O, threads and "
                        "processes belong in an activity (compiler.determinism.ALLOWED_IMPORTS)",
                    )
                )
            elif module.startswith(("podium.compiler", "podium.starters", "podium.workers")):
                out.append(
                    Finding(
                        file,
                        line,
                        f"import {module}",
                        "client and worker code does not run inside workflows",
                    )
                )
    return out


def _activity_helpers(tree: ast.Module) -> dict[str, set[str]]:
    """``podium.activities`` module → names the module imports from it."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("podium.activities"):
            out.setdefault(node.module or "", set()).update(a.name for a in node.names)
    return out
