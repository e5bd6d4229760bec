"""The specs of the console's folder, and what the compiler makes of each — read by the
spec pages, the builder, the history pages and the run form alike."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from podium.compiler.problems import CompileError, Problem
from podium.compiler.spec_compiler import compile_spec
from podium.workflows.plan import Plan

__all__ = ["Compiled", "compiled", "spec_files"]

STEP = re.compile(r"\(step '([^']+)'\)|^steps?\.([A-Za-z0-9_-]+)")
"""Where a problem names its step: ``… (step 'signoff')``."""


@dataclass
class Compiled:
    """What the compiler made of a spec file."""

    name: str
    path: Path
    plan: Plan | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def by_step(self) -> dict[str, list[Problem]]:
        """The problems that name a step, by its id."""
        pinned: dict[str, list[Problem]] = {}
        for problem in self.problems:
            found = STEP.search(problem.where)
            if found:
                pinned.setdefault(found.group(1) or found.group(2), []).append(problem)
        return pinned


def spec_files(folder: Path) -> list[Path]:
    """The spec files of the server's folder, by name."""
    return sorted(
        p
        for p in folder.glob("*.y*ml")
        if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")  # (drafts being checked)
    )


async def compiled(path: Path) -> Compiled:
    """``path`` compiled offline (the agents' models are not needed to draw or check it)."""
    result = Compiled(name=path.stem, path=path)
    try:
        result.plan = await asyncio.to_thread(compile_spec, path, offline=True)
    except CompileError as exc:
        result.problems = list(exc.problems)
    return result
