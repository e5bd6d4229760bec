"""Drafting a spec from a description (``podium plan``): a planner agent writes it, the
ordinary compiler checks it, problems go back to the planner for repair.

The planner is an agent of the catalog like any other (the agent named ``planner``, or
the one with capability ``planning``, or ``--planner NAME``); offline it is the scripted
model. It reads the description, the catalog's agents (what they do, capabilities,
markets, tools, side effects, prices), the catalog's policy and the spec language's JSON
Schema, and answers ``{"spec": {...}, "notes": "..."}``. Podium sets the spec's
``agents:`` to the catalog itself, so a draft can use only the catalog's agents, and
compiles the draft exactly as a hand-written spec — policy included. A draft with
problems goes back with them (``previous: {spec, problems}``) up to ``max_rounds``.
``starters.plan_changes`` revises an existing spec with the same loop
(``ask_until_compiled``).

Drafting calls the model from this process (it is authoring, not the business process);
what the draft then does runs only after a person approves it (``--run``, or a durable
review run: ``--review``).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml
from podium.activities.contracts import AgentConfig, Usage
from podium.activities.errors import AgentCallError, RetryableError, SetupError
from podium.compiler.agents import load_catalog
from podium.compiler.catalog import CatalogFile
from podium.compiler.problems import CompileError, Reporter
from podium.compiler.schema import spec_schema
from podium.compiler.size import check_size
from podium.compiler.spec import SpecFile
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.yamlfile import YamlDocument, read_yaml
from podium.starters.asking import ask_agent
from podium.starters.plan_review import walk_all
from podium.workflows.plan import Plan
from pydantic import ValidationError

PLANNING = "planning"
"""The capability that marks a catalog's planner agent."""
ANSWER = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "spec": {"type": "object", "description": "the spec, as the JSON form of its YAML"},
        "notes": {"type": "string", "description": "assumptions worth telling the reviewer"},
    },
}
RULES = [
    "Use only the agents listed in `agents` (by name, or a capability they have); agents: "
    "is set by Podium to the catalog, so do not write it.",
    "Every step needs an id (letters, digits, '_'); a step reads earlier steps as "
    "steps.<id>.output and the run input as input.<name> (JMESPath).",
    "Declare the run input as a JSON Schema under input:, with the fields the "
    "description mentions.",
    "A step whose agent has side effects needs an approval step before it when the "
    "policy says approve_side_effects; keep a budget within the policy's ceiling.",
]


class PlanningError(SetupError):
    """``podium plan`` cannot draft: no planner, an unreadable catalog, the model fails."""


@dataclass
class Round:
    """One draft and what the compiler said about it."""

    number: int
    spec: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass
class Draft:
    """The outcome of drafting: the rounds, and the accepted spec and plan (if any)."""

    rounds: list[Round]
    spec: dict[str, Any] | None = None
    plan: Plan | None = None
    spent: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    offline: bool = False
    """The planner was the offline scripted model."""


def catalog_files(path: Path) -> list[Path]:
    """The catalog files ``--catalog`` names (a directory: every ``*.yaml`` in it)."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise PlanningError(f"no catalog found at {path}: name a catalog file or a folder of them")
    for file in files:
        if not file.exists():
            raise PlanningError(f"catalog {file} not found")
    return files


def find_planner(files: list[Path], name: str | None, offline: bool | None) -> AgentConfig:
    """The planner agent: ``name``, else the agent called ``planner``, else the first with
    capability ``planning``."""
    found: dict[str, AgentConfig] = {}
    for file in files:
        found.update(load_catalog(file, offline=offline))
    if name is not None:
        if name not in found:
            raise PlanningError(
                f"no agent {name!r} in {', '.join(map(str, files))}; agents: "
                + ", ".join(sorted(found))
            )
        return found[name]
    if "planner" in found:
        return found["planner"]
    for agent in found.values():
        if PLANNING in agent.capabilities:
            return agent
    raise PlanningError(
        f"the catalog ({', '.join(map(str, files))}) has no planner agent\n"
        "    hint: add an agent named planner (or with capabilities: [planning]) — a "
        "scripted one works offline — or pass --planner NAME"
    )


def catalog_view(files: list[Path]) -> dict[str, Any]:
    """What the planner is told about the catalog: agents, tools, the policy."""
    agents: list[dict[str, Any]] = []
    tools: dict[str, Any] = {}
    policy: dict[str, Any] = {}
    for file in files:
        report = Reporter(file)
        catalog = report.validate(read_yaml(file, "agent catalog"), CatalogFile)
        if catalog is None:
            raise CompileError(report.problems)
        if catalog.policy is not None:
            policy.update(catalog.policy.model_dump(exclude_none=True))
        for tool_name, tool in catalog.tools.items():
            tools[tool_name] = {
                "description": tool.description,
                "side_effects": tool.side_effects,
                "needs_approval": tool.approval is not None,
            }
        for agent_name, entry in catalog.agents.items():
            if PLANNING in entry.capabilities:
                continue
            agents.append(
                {
                    "name": agent_name,
                    "description": entry.description,
                    "capabilities": entry.capabilities,
                    "markets": entry.markets,
                    "languages": entry.languages,
                    "side_effects": entry.side_effects,
                    "tools": entry.tools,
                    "output": entry.output,
                    "price_per_mtok": entry.price.model_dump(),
                }
            )
    return {"agents": agents, "tools": tools, "policy": policy}


async def draft(
    description: str,
    files: list[Path],
    planner: AgentConfig,
    *,
    max_rounds: int = 3,
    offline: bool | None = None,
    out: TextIO | None = None,
    folder: Path | None = None,
) -> Draft:
    """Ask the planner, compile its draft, send problems back; at most ``max_rounds``."""
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="podium-plan-") as scratch:
            return await draft(
                description,
                files,
                planner,
                max_rounds=max_rounds,
                offline=offline,
                out=out,
                folder=Path(scratch),
            )
    inputs = {
        "description": description,
        **catalog_view(files),
        "rules": RULES,
        "spec_schema": spec_schema(),
    }
    return await ask_until_compiled(
        planner,
        inputs,
        lambda this: _check(this, files, folder, offline),
        max_rounds=max_rounds,
        out=out,
    )


async def ask_until_compiled(
    planner: AgentConfig,
    inputs: dict[str, Any],
    check: Callable[[Round], Plan | None],
    *,
    max_rounds: int,
    out: TextIO | None = None,
) -> Draft:
    """Ask the planner for a spec, ``check`` it, send its problems back, until one
    compiles; at most ``max_rounds``.

    Args:
        planner: the planner agent (its answer: ``ANSWER``).
        inputs: what it is told (each round adds ``round`` and, after the first,
            ``previous: {spec, problems}``).
        check: compiles a round's spec (run on a thread): the plan, or None with the
            round's ``problems`` set.
        max_rounds: how many answers to ask for at most.
        out: where each round's outcome is written, if anywhere.
    """
    asker = planner.model_copy(update={"output_schema": ANSWER})
    result = Draft(rounds=[])
    previous: dict[str, Any] | None = None
    for number in range(1, max_rounds + 1):
        asked = {**inputs, "round": number}
        if previous is not None:
            asked["previous"] = previous
        answer, usage, cost, offline_reply = await _ask(asker, asked, number)
        result.offline = result.offline or offline_reply
        result.spent += usage
        result.cost_usd = round(result.cost_usd + cost, 8)
        spec = answer.get("spec") if isinstance(answer, dict) else None
        this = Round(number, spec if isinstance(spec, dict) else None)
        this.notes = str(answer.get("notes") or "") if isinstance(answer, dict) else ""
        result.rounds.append(this)
        if this.spec is None:
            this.problems = ["the planner's answer has no spec object"]
        else:
            plan = await asyncio.to_thread(check, this)  # compiling reads files
            if plan is not None:
                result.spec, result.plan = this.spec, plan
                _say(out, f"round {number}: the draft compiles")
                return result
        _say(out, f"round {number}: {len(this.problems)} problem(s)")
        for problem in this.problems:
            _say(out, "  " + problem.replace("\n", "\n  "))
        previous = {"spec": this.spec, "problems": this.problems}
    return result


def _check(this: Round, files: list[Path], folder: Path, offline: bool | None) -> Plan | None:
    """Compile the round's draft as a hand-written spec (its agents: the catalog)."""
    assert this.spec is not None
    spec = {k: v for k, v in this.spec.items() if k != "agents"}
    if "agents" in this.spec:
        this.notes += " (its agents: was replaced by the catalog)"
    spec["agents"] = [str(f.resolve()) for f in files]
    this.spec = spec
    if (oversized := over_limits(spec, files)) is not None:  # before writing and parsing
        this.problems = oversized
        return None
    path = folder / f"draft-{this.number}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    try:
        plan = compile_spec(path, offline=offline)
    except CompileError as exc:
        this.problems = [str(p).replace(str(path), "draft") for p in exc.problems]
        return None
    children = [n.id for n in walk_all(plan.steps) if n.kind == "workflow"]
    if children:  # another file could bring agents (and rules) of its own
        this.problems = [
            f"draft: step {children[0]!r}: a drafted plan may not run other spec files "
            "(workflow:)\n    hint: write the steps into this spec, using the catalog's agents"
        ]
        return None
    return plan


def over_limits(spec: dict[str, Any], files: list[Path]) -> list[str] | None:
    """The problems of a draft past the catalogs' size limits (``compiler.size``), checked
    on the planner's answer itself — a 5,000-step draft is refused before it is written
    out and parsed as YAML; None when it is within them (or not a spec: the compiler
    says why)."""
    try:
        draft = SpecFile.model_validate(spec)
    except ValidationError:
        return None
    policies = []
    for file in files:
        catalog_doc = read_yaml(file, "agent catalog")
        catalog = Reporter(file).validate(catalog_doc, CatalogFile)
        if catalog is not None and catalog.policy is not None:
            policies.append((catalog.policy, catalog_doc))
    report = Reporter(Path("draft"))
    if check_size(report, YamlDocument(Path("draft"), spec, {}), draft, policies):
        return None
    return [str(problem) for problem in report.problems]


async def _ask(
    agent: AgentConfig, inputs: dict[str, Any], number: int
) -> tuple[Any, Usage, float, bool]:
    """One planner call (transient provider errors retried): its answer, usage, cost and
    whether it was the offline model."""
    try:
        reply = await ask_agent(
            agent,
            inputs,
            run_id="podium-plan",
            step_id=f"round-{number}",
            key=f"podium-plan/{number}",
        )
    except RetryableError as exc:
        raise PlanningError(f"planner {agent.name!r}: {exc}") from None
    except AgentCallError as exc:
        raise PlanningError(f"planner {agent.name!r}: {type(exc).__name__}: {exc}") from None
    except TimeoutError:
        raise PlanningError(
            f"planner {agent.name!r} did not answer within {agent.timeout_s:g}s"
        ) from None
    return reply.output, reply.usage, reply.cost_usd, reply.offline


def _say(out: TextIO | None, line: str) -> None:
    if out is not None:
        out.write(line + "\n")
        out.flush()


def spec_yaml(spec: dict[str, Any], catalog_paths: list[str]) -> str:
    """The spec as YAML, its ``agents:`` the catalog paths as the reader should see them."""
    shown = {**spec, "agents": catalog_paths[0] if len(catalog_paths) == 1 else catalog_paths}
    first: tuple[str, ...] = ("name", "summary", "description", "input", "agents")
    ordered: dict[str, Any] = {k: shown[k] for k in first if k in shown}
    ordered.update({k: v for k, v in shown.items() if k not in ordered})
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
