"""Revising a spec from a change described in words ("add a compliance check by the legal
analyst after risk"): the catalog's planner drafts it, the ordinary compiler checks it.

    revision = await revise(path, text, "add a compliance check…", files, planner)
    revision.text       # the spec's text with only the changed lines changed
    revision.plan       # what it compiles to (None: see revision.problems)

The planner is told what ``podium plan`` tells it (the catalog's agents, tools and policy,
the spec language's JSON Schema, the rules) plus the spec as it is now (``current``, as
data) and the ``change``, and answers the whole revised spec. The answer is written into
the current text with the fewest edits (``compiler.spec_updates.update``), so every
comment stays and only the lines whose values changed differ; ``agents:`` stays the
spec's own (the planner cannot switch catalogs). That text is compiled as the spec's file
would be (``starters.compiling.compile_beside``); its problems go back to the planner,
as ``podium plan``'s do (``starters.planning.ask_until_compiled``), up to ``max_rounds``.
Nothing is saved: the revision is a proposal for a person to accept or reject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from podium.activities.contracts import AgentConfig, Usage
from podium.compiler.problems import CompileError
from podium.compiler.schema import spec_schema
from podium.compiler.spec_editing import SpecEditError, SpecEditor
from podium.compiler.spec_updates import update
from podium.starters.compiling import compile_beside
from podium.starters.planning import (
    RULES,
    PlanningError,
    Round,
    ask_until_compiled,
    catalog_view,
    over_limits,
)
from podium.workflows.plan import Plan

__all__ = ["Revision", "catalog_files_of", "revise"]

TASK = (
    "Revise the spec in `current` as `change` asks and answer the whole revised spec: "
    "every step, key and value the change does not concern exactly as in `current`, step "
    "ids kept. If your input has `previous`, fix every problem it lists."
)


@dataclass
class Revision:
    """A planner's proposed revision of a spec, and how it came about."""

    rounds: list[Round]
    text: str | None = None
    """The last proposal: the spec's text with the changed lines changed, every comment
    kept (None if no answer could be written into the spec)."""
    plan: Plan | None = None
    """What ``text`` compiles to; None if no round's proposal compiled."""
    problems: list[str] = field(default_factory=list)
    """The last round's problems, when no proposal compiled."""
    notes: str = ""
    """The planner's last notes (assumptions worth telling the reviewer)."""
    spent: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    offline: bool = False
    """The planner was the offline scripted model."""


async def revise(
    spec_path: Path,
    text: str,
    description: str,
    files: list[Path],
    planner: AgentConfig,
    *,
    offline: bool | None = None,
    max_rounds: int = 3,
    out: TextIO | None = None,
) -> Revision:
    """Ask ``planner`` to revise the spec as ``description`` says (module docstring).

    Args:
        spec_path: the spec's file (its relative paths are read from its folder).
        text: the spec's text now (e.g. a draft not yet saved).
        description: the change, in words.
        files: the catalog files the spec's ``agents:`` names (what the planner is told).
        planner: the planner agent (``starters.planning.find_planner``).
        offline: as ``compile_spec``'s, for compiling the proposals.
        max_rounds: how many answers to ask for at most.
        out: where each round's outcome is written, if anywhere.

    Raises:
        PlanningError: the change is empty, the spec is not a mapping, or the planner fails.
        FileReadError: ``text`` is not YAML.
    """
    if not description.strip():
        raise PlanningError(
            "the change is empty: describe it in words, e.g. add a compliance check by the "
            "legal analyst after risk"
        )
    current = SpecEditor(text, spec_path, model=None).get(())
    if not isinstance(current, dict):
        raise PlanningError(f"{spec_path.name} is not a spec (a mapping): fix it by hand first")
    inputs = {
        "task": TASK,
        "change": description,
        "current": current,
        **catalog_view(files),
        "rules": RULES,
        "spec_schema": spec_schema(),
    }
    proposals: dict[int, str] = {}

    def check(this: Round) -> Plan | None:
        """Write the round's answer into the spec's text and compile that."""
        assert this.spec is not None
        this.spec = _with_agents_of(current, this)
        if (oversized := over_limits(this.spec, files)) is not None:  # before editing
            this.problems = oversized
            return None
        editor = SpecEditor(text, spec_path, model=None)  # the compiler judges the values
        try:
            update(editor, (), this.spec)
        except SpecEditError as exc:
            this.problems = [str(exc)]
            return None
        proposals[this.number] = editor.text
        try:
            return compile_beside(spec_path, editor.text.encode(), offline)
        except CompileError as exc:
            this.problems = [str(p).replace(str(spec_path), spec_path.name) for p in exc.problems]
            return None

    drafted = await ask_until_compiled(planner, inputs, check, max_rounds=max_rounds, out=out)
    last = drafted.rounds[-1]
    notes = [r.notes.strip() for r in drafted.rounds if r.notes.strip()]
    return Revision(
        rounds=drafted.rounds,
        text=proposals.get(last.number),
        plan=drafted.plan,
        problems=[] if drafted.plan is not None else last.problems,
        notes=notes[-1] if notes else "",
        spent=drafted.spent,
        cost_usd=drafted.cost_usd,
        offline=drafted.offline,
    )


def catalog_files_of(spec_path: Path, spec: dict[str, Any]) -> list[Path]:
    """The catalog files the spec's ``agents:`` names (read from the spec's folder): where
    its planner is found (``find_planner``) and what ``revise`` tells it about."""
    named = spec.get("agents")
    paths = [named] if isinstance(named, str) else named
    if not paths or not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise PlanningError(
            f"{spec_path.name}: agents: names no catalog file, so there is no planner to ask"
            "\n    hint: write the agents in a catalog file and name it under agents:"
        )
    files = [(spec_path.parent / p).resolve() for p in paths]
    for file in files:
        if not file.is_file():
            raise PlanningError(f"{spec_path.name}: its catalog {file} is not there")
    return files


def _with_agents_of(current: dict[str, Any], this: Round) -> dict[str, Any]:
    """The round's spec with the current spec's ``agents:`` (or none, if it has none)."""
    assert this.spec is not None
    spec = {k: v for k, v in this.spec.items() if k != "agents"}
    if "agents" in this.spec and this.spec["agents"] != current.get("agents"):
        this.notes += " (its agents: was kept as the spec's)"
    if "agents" in current:
        spec["agents"] = current["agents"]
    return spec
