"""Live validation for the builder: a draft compiled by the compiler itself, as
``podium validate`` would compile the file it becomes, and each problem pinned on the step
it names.

The draft's text is compiled as the spec's file would be (``compiling.compile_beside``: a
hidden file beside the spec, so its relative paths mean what they will once saved),
offline and on a thread; problems name the spec's own file.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from podium.compiler.problems import CompileError, Problem
from podium.compiler.spec_paths import SpecEditError, parse_loc
from podium.compiler.textfile import Loc
from podium.starters.compiling import compile_beside
from podium.starters.web.drafts import Draft
from podium.starters.web.spec_outline import Outline
from podium.workflows.plan import Plan

__all__ = ["Checked", "check_draft"]
LEADING_LOC = re.compile(r"^[A-Za-z_][\w-]*(?:\[\d+\]|\.[\w-]+)*")
STEP_NAMED = re.compile(r"\(step '([^']+)'\)")


@dataclass
class Checked:
    """What the compiler made of a draft."""

    plan: Plan | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Whether the compiler accepts the draft (Save is allowed)."""
        return self.plan is not None and not self.problems

    def pinned(self, drawn: Outline) -> tuple[dict[Loc, list[Problem]], list[Problem]]:
        """The problems by the step each names (the innermost step drawn whose place
        starts the problem's), and those that name no step (the spec's own settings)."""
        places = {block.loc for block in drawn.blocks()}
        on: dict[Loc, list[Problem]] = {}
        rest: list[Problem] = []
        for problem in self.problems:
            loc = _place(problem, drawn)
            step = next((loc[:n] for n in range(len(loc), 0, -1) if loc[:n] in places), None)
            if step is None:
                rest.append(problem)
            else:
                on.setdefault(step, []).append(problem)
        return on, rest


async def check_draft(draft: Draft) -> Checked:
    """``draft`` compiled (offline: the agents' models are not needed to check it)."""
    return await asyncio.to_thread(_check, draft)


def _check(draft: Draft) -> Checked:
    try:
        return Checked(plan=compile_beside(draft.path, draft.editor().encoded(), offline=True))
    except CompileError as exc:
        return Checked(problems=list(exc.problems))


def _place(problem: Problem, drawn: Outline) -> Loc:
    """Where in the spec ``problem`` is: its leading key path, or the step it names."""
    found = LEADING_LOC.match(problem.where)
    if found:
        try:
            return parse_loc(found.group(0))
        except SpecEditError:
            pass
    named = STEP_NAMED.search(problem.where) or STEP_NAMED.search(problem.message)
    if named and named.group(1) in drawn.by_id:
        return drawn.by_id[named.group(1)].loc
    return ()
