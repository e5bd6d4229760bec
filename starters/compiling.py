"""Compiling a spec for a command: the plan, or every problem printed (``validate``, ``graph``)."""

from __future__ import annotations

import sys

from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.workflows.plan import Plan


def compile_or_report(spec: str, offline: bool | None = None) -> Plan | None:
    """The compiled plan, or None after printing every problem to stderr."""
    try:
        return compile_spec(spec, offline=offline)
    except CompileError as exc:
        print(f"{spec}: invalid\n{exc}", file=sys.stderr)
        return None
