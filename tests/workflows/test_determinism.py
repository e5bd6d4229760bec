"""Workflow code reads time, randomness and the environment only through
``temporalio.workflow``: a static check of ``workflows/``.

Podium's workers run its workflows outside temporalio's sandbox (``PodiumWorkerConfig.sandboxed``)
— and even inside it, Podium's modules are passed through, so the sandbox never saw a
``datetime.now()`` in them. This test is the check that reaches them; the replay guard
(``tests/test_replay.py``) catches what changes a run's commands."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

FORBIDDEN = {
    ("datetime", "now"): "workflow.now()",
    ("datetime", "utcnow"): "workflow.now()",
    ("datetime", "today"): "workflow.now()",
    ("date", "today"): "workflow.now().date()",
    ("time", "time"): "workflow.time()",
    ("time", "time_ns"): "workflow.time_ns()",
    ("time", "monotonic"): "workflow.time()",
    ("time", "monotonic_ns"): "workflow.time_ns()",
    ("time", "perf_counter"): "workflow.time()",
    ("time", "perf_counter_ns"): "workflow.time_ns()",
    ("time", "process_time"): "workflow.time()",
    ("time", "sleep"): "workflow.sleep()",
    ("uuid", "uuid1"): "workflow.uuid4()",
    ("uuid", "uuid4"): "workflow.uuid4()",
    ("os", "getenv"): "the plan (compiled on the client) or an activity",
    ("os", "environ"): "the plan (compiled on the client) or an activity",
    ("os", "urandom"): "workflow.random()",
}
"""``module.attribute`` → what workflow code uses instead (also when imported by name:
``from time import monotonic``). Any ``random`` import or ``random.*``, a bare
``open(...)`` and ``Path.read_text``-style file I/O are forbidden too."""
FILE_IO = {"read_text", "read_bytes", "write_text", "write_bytes"}


def violations(source: str, name: str) -> list[str]:
    """``name:line: what — use instead`` for each non-deterministic call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
            pair = (owner, node.attr)  # `datetime.now` and `datetime.datetime.now` alike
            if pair in FORBIDDEN:
                found.append(f"{where}: {'.'.join(pair)} — use {FORBIDDEN[pair]}")
            elif owner == "random":
                found.append(f"{where}: random.{node.attr} — use workflow.random()")
            elif node.attr in FILE_IO:
                found.append(f"{where}: .{node.attr}() — files are read by activities")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "open":
                found.append(f"{where}: open() — files are read by activities")
        elif isinstance(node, ast.Import):
            if any(alias.name == "random" for alias in node.names):
                found.append(f"{where}: import random — use workflow.random()")
        elif isinstance(node, ast.ImportFrom) and node.module in ("time", "uuid", "os", "random"):
            for alias in node.names:
                pair = (node.module, alias.name)
                if node.module == "random" or pair in FORBIDDEN:
                    instead = FORBIDDEN.get(pair, "workflow.random()")
                    found.append(f"{where}: from {pair[0]} import {pair[1]} — use {instead}")
    return found


def test_workflow_code_takes_time_and_randomness_from_temporal():
    files = sorted((ROOT / "workflows").rglob("*.py"))  # (the compiler is in compiler/)
    assert len(files) > 30  # the scan did find the workflow code
    problems = [
        problem
        for path in files
        for problem in violations(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not problems, "non-deterministic calls in workflow code:\n" + "\n".join(problems)


def test_the_check_finds_clock_reads_randomness_and_files():
    source = (
        "import datetime\n"
        "from time import monotonic\n"
        "import random\n"
        "def f(path):\n"
        "    return datetime.datetime.now(), path.read_text()\n"
    )
    assert violations(source, "probe.py") == [
        "probe.py:2: from time import monotonic — use workflow.time()",
        "probe.py:3: import random — use workflow.random()",
        "probe.py:5: datetime.now — use workflow.now()",
        "probe.py:5: .read_text() — files are read by activities",
    ]
