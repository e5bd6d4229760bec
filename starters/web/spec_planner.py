"""Which planner drafts a change to a spec in the builder ("describe a change in words"):
the spec's own catalogs (the files its ``agents:`` names) are asked first, then the other
catalogs in the folders they are in — the sample catalogs keep their planner in
``agents/market.yaml``, next to ``deal_review``'s ``agents/deal.yaml``.

    choice = choose_planner(path, spec)     # spec: the draft's data
    choice = await planner_for(draft)       # the same, on a thread, for a builder draft
    choice.agent     # the planner (None: ``choice.problem`` says why, and how to add one)
    choice.files     # the spec's own catalogs: what the planner is told about
    choice.source    # the catalog file the planner comes from

The planner is found as ``podium plan`` finds it (``planning.find_planner``: the agent
called ``planner``, else the first with capability ``planning``), in the first catalog
that has one; a catalog that cannot be read is passed over (the compiler names its
problems where the spec uses it). Like ``podium plan`` without ``--offline``, a planner
whose provider has no API key here is the offline scripted model.
"""

from __future__ import annotations

import asyncio
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.activities.contracts import AgentConfig
from podium.activities.errors import SetupError
from podium.compiler.textfile import FileReadError
from podium.starters.plan_changes import catalog_files_of
from podium.starters.planning import PLANNING, find_planner
from podium.starters.web.drafts import Draft

__all__ = ["PlannerChoice", "choose_planner", "planner_for"]


@dataclass
class PlannerChoice:
    """The planner a spec's changes are drafted by, or why there is none."""

    spec_path: Path
    files: list[Path] = field(default_factory=list)
    agent: AgentConfig | None = None
    source: Path | None = None
    problem: str = ""

    @property
    def where(self) -> str:
        """The planner's catalog, as the spec names files (relative to its folder)."""
        if self.source is None:
            return ""
        return os.path.relpath(self.source, self.spec_path.parent)

    @property
    def offline(self) -> str:
        """Why the planner is the offline scripted model ('' when it is not)."""
        return (self.agent.offline_reason or "") if self.agent is not None else ""


def choose_planner(spec_path: Path, spec: Any) -> PlannerChoice:
    """The planner for changes to the spec at ``spec_path`` whose data is ``spec`` (module
    docstring); reads catalog files, so call it on a thread from a page."""
    choice = PlannerChoice(spec_path)
    if not isinstance(spec, dict):
        choice.problem = f"{spec_path.name} is not a spec yet (a mapping): give it a name first"
        return choice
    try:
        choice.files = catalog_files_of(spec_path, spec)
    except SetupError as exc:
        choice.problem = str(exc)
        return choice
    looked = [*choice.files, *_beside(choice.files)]
    found = _first_planner(tuple((path, _stamp(path)) for path in looked))
    if found is not None:
        choice.source, choice.agent = found
        return choice
    shown = ", ".join(os.path.relpath(f, spec_path.parent) for f in looked)
    choice.problem = (
        f"no planner in the catalogs looked at ({shown})\n    hint: add an agent with "
        f"capabilities: [{PLANNING}] (or named planner) to one of them — a scripted one "
        "works offline"
    )
    return choice


async def planner_for(draft: Draft) -> PlannerChoice:
    """The planner that would draft changes to a builder's ``draft``."""
    try:
        spec = draft.editor().get(())
    except FileReadError as exc:
        return PlannerChoice(draft.path, problem=str(exc))
    return await asyncio.to_thread(choose_planner, draft.path, spec)


@functools.lru_cache(maxsize=64)
def _first_planner(
    catalogs: tuple[tuple[Path, tuple[int, int]], ...],
) -> tuple[Path, AgentConfig] | None:
    """The first of ``catalogs`` with a planner, and the planner (None: none has one).
    Cached by each file's modification time and size: every builder page asks, and
    reading catalogs costs a few hundred milliseconds."""
    for catalog, _ in catalogs:
        try:
            return catalog, find_planner([catalog], None, None)
        except SetupError:  # no planner there, or a catalog that cannot be read
            continue
    return None


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)


def _beside(files: list[Path]) -> list[Path]:
    """The other catalog files in the folders of ``files``, by name."""
    found: list[Path] = []
    for folder in dict.fromkeys(f.parent for f in files):
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            if path not in files and path not in found and not path.name.startswith("."):
                found.append(path)
    return found
