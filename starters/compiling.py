"""Compiling a spec for a command: the plan, or every problem printed (``validate``, ``graph``);
or a spec's text not yet saved, as its file would compile (``compile_beside``)."""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

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


def compile_beside(path: Path, text: bytes, offline: bool | None = None) -> Plan:
    """``text`` compiled as the spec file ``path`` would be, without writing ``path``.

    The text goes to a hidden file beside it (so its relative paths — ``agents:``,
    ``workflow:`` — mean what they will once saved; spec lists skip hidden files), is
    compiled, and removed. The plan's source and ``CompileError``'s problems name ``path``.
    """
    handle, name = tempfile.mkstemp(prefix=".podium-check-", suffix=path.suffix, dir=path.parent)
    scratch = Path(name)

    def named(said: str) -> str:
        return said.replace(str(scratch), str(path)).replace(scratch.name, path.name)

    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text)
        try:
            plan = compile_spec(scratch, offline=offline)
        except CompileError as exc:
            problems = [
                dataclasses.replace(
                    p,
                    file=path if p.file is not None and p.file.name == scratch.name else p.file,
                    message=named(p.message),
                    hint=named(p.hint),
                    where=named(p.where),
                )
                for p in exc.problems
            ]
            raise CompileError(problems, [named(w) for w in exc.warnings]) from None
    finally:
        scratch.unlink(missing_ok=True)
    return plan.model_copy(
        update={"source": str(path), "warnings": [named(w) for w in plan.warnings]}
    )
