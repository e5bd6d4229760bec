"""What the builder's forms suggest in their fields (``<datalist>``s: a person may still
type anything): the agents, capabilities and tools of the spec's catalogs, the people who
may decide, the spec and catalog files beside it, and the expressions a step may use —
``input.<field>`` from the input schema, ``steps.<id>.output`` (and ``.output.<field>``
from the agent's output schema in the catalog, as the compiler reads it: ``AgentEntry
.output`` becomes ``AgentConfig.output_schema``) of every step certain to have finished
before the edited one, by the compiler's own rule (``compiler.step_graph``).

Everything is read from the spec as it is being edited, so suggestions keep coming while
the spec does not compile; a catalog that cannot be read suggests nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.compiler.catalog import AgentEntry, CatalogFile
from podium.compiler.problems import Reporter
from podium.compiler.spec import StepEntry
from podium.compiler.step_graph import StepGraph
from podium.compiler.textfile import FileReadError
from podium.compiler.yamlfile import YamlDocument, read_yaml
from pydantic import ValidationError

PEOPLE_KEYS = ("approvers", "escalate_to", "human")
"""Keys whose lists name people (and ``escalate: [{to: [...]}]``)."""
LOOP_VARS = {
    "refine": ("vars.round", "vars.feedback", "vars.draft"),
    "supervise": ("vars.task", "vars.inputs", "vars.turn"),
}
"""What the steps nested in a refine / a supervise team may read besides the run's."""
OWN_VARS = {
    "refine": ("vars.review",),
    "supervise": ("vars.last", "vars.turn"),
}
"""What the own settings of a refine (``until``) and a supervise may read."""


@dataclass(frozen=True)
class Pickers:
    """Suggestions for the fields of one form."""

    agents: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()
    """Spec files a ``workflow:`` step may run (as written in the spec: relative to it)."""
    catalogs: tuple[str, ...] = ()
    """Catalog files for ``agents:`` (relative to the spec)."""
    expressions: tuple[str, ...] = ()
    """What an expression of the edited step (or the spec's output) may read."""
    step_ids: tuple[str, ...] = ()
    """Steps a ``needs:`` may name."""
    goto_targets: tuple[str, ...] = ()
    """Top-level steps a ``goto:`` may name, and ``end``."""


def pickers_for(
    spec: Mapping[str, Any],
    path: Path,
    *,
    at: Sequence[str | int] = (),
    people: Iterable[str] = (),
) -> Pickers:
    """The suggestions for editing ``spec`` (read from file ``path``) at key path ``at``.

    Args:
        spec: The spec as it is being edited (the YAML's mapping).
        path: Its file: catalogs and sub-workflows are relative to its folder.
        at: The edited step's key path (``("steps", 2)``, ``("steps", 0, "parallel", 1)``);
            ``()`` for the spec's own settings, where every step's output may be read.
        people: The console's people (``request.app.state.console.people``); the people
            the spec names already are added.
    """
    entries, tools = _catalogs(spec.get("agents"), path)
    steps = [s for s in spec.get("steps") or [] if isinstance(s, Mapping)]
    if not isinstance(spec.get("steps"), list):
        steps = []
    graph = StepGraph(Reporter(path), YamlDocument(path, None, {}))
    graph.build([_skeleton(s) for s in steps])
    edited = _step_at(spec, at)
    edited_id = edited.get("id") if edited else None
    readable = _readable(graph, spec, at) if at else set(graph.named)
    expressions = ["input", *_input_fields(spec.get("input"))]
    expressions += _vars(spec, at)
    for step in _named_steps(steps):
        if step["id"] in readable:
            expressions += _outputs(step, entries)
    return Pickers(
        agents=tuple(entries),
        capabilities=_unique(c for entry in entries.values() for c in entry.capabilities),
        tools=tuple(tools),
        people=_unique([*people, *_people_in(spec)]),
        specs=_files(path.parent, exclude={path.resolve(), *_catalog_files(spec, path)}),
        catalogs=_catalog_choices(spec, path),
        expressions=_unique(expressions),
        step_ids=tuple(i for i in graph.named if i != edited_id),
        goto_targets=(*(str(s["id"]) for s in steps if isinstance(s.get("id"), str)), "end"),
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def _skeleton(step: Any) -> StepEntry:
    """Just what the compiler's step graph reads of a step (ids, needs, branches), from a
    step that need not be valid."""
    if not isinstance(step, Mapping):
        return StepEntry.model_construct()
    needs, parallel, seq = step.get("needs"), step.get("parallel"), step.get("steps")
    return StepEntry.model_construct(
        id=step["id"] if isinstance(step.get("id"), str) else None,
        needs=[str(n) for n in needs] if isinstance(needs, list) else None,
        parallel=[_skeleton(b) for b in parallel] if isinstance(parallel, list) else None,
        steps=[_skeleton(s) for s in seq] if isinstance(seq, list) else None,
    )


def _step_at(spec: Mapping[str, Any], at: Sequence[str | int]) -> Mapping[str, Any] | None:
    value: Any = spec
    for part in at:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value if isinstance(value, Mapping) else None


def _readable(graph: StepGraph, spec: Mapping[str, Any], at: Sequence[str | int]) -> set[str]:
    """The step ids an expression of the step at ``at`` may read (as the compiler's scope:
    what finished before the innermost named step around it; a compensation also reads
    the step it undoes)."""
    done: set[str] = set()
    for end in range(len(at), 0, -1):
        step = _step_at(spec, at[:end])
        step_id = step.get("id") if step is not None else None
        named = graph.named.get(step_id) if isinstance(step_id, str) else None
        if step is not None and named is not None:
            done = set(graph.done_before_of(named.top))
            for earlier in named.before:
                done |= graph.implied(earlier)
            if "compensate" in at[end:]:
                done.add(str(step.get("id")))
            break
    return done


def _vars(spec: Mapping[str, Any], at: Sequence[str | int]) -> list[str]:
    """``vars.*`` the edited place may read: map items, refine and supervise turns."""
    out: list[str] = []
    for end in range(len(at) + 1):
        step = _step_at(spec, at[:end])
        if step is None:
            continue
        inside = end < len(at)
        if "map" in step and inside and at[end] == "step":
            settings = step.get("map")
            name = settings.get("as", "item") if isinstance(settings, Mapping) else "item"
            out += [f"vars.{name}", "vars.index"]
        for kind, names in (LOOP_VARS if inside else OWN_VARS).items():
            if kind in step and (not inside or at[end] == kind):
                out += names
    return out


def _input_fields(schema: Any) -> list[str]:
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    return [f"input.{name}" for name in properties or {}] if isinstance(properties, Mapping) else []


def _named_steps(steps: list[Any]) -> Iterator[Mapping[str, Any]]:
    """Every step with an id, in the spec's order (parallel branches and their steps
    included: those are the ones ``steps.<id>`` reads)."""
    for step in steps:
        if not isinstance(step, Mapping):
            continue
        if isinstance(step.get("id"), str):
            yield step
        for branch in step.get("parallel") or []:
            if isinstance(branch, Mapping):
                seq = branch.get("steps")
                yield from _named_steps(seq if isinstance(seq, list) else [branch])


def _outputs(step: Mapping[str, Any], entries: dict[str, AgentEntry]) -> list[str]:
    """``steps.<id>.output`` and, for an agent step, each field of its output schema."""
    out = f"steps.{step['id']}.output"
    agent = entries.get(str(step.get("agent")))
    if agent is None and isinstance(step.get("capability"), str):
        agent = next((a for a in entries.values() if step["capability"] in a.capabilities), None)
    schema = agent.output if agent is not None else None
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return [out, *(f"{out}.{name}" for name in properties or {})]


def _catalog_files(spec: Mapping[str, Any], path: Path) -> list[Path]:
    agents = spec.get("agents")
    names = [agents] if isinstance(agents, str) else agents if isinstance(agents, list) else []
    return [(path.parent / name).resolve() for name in names if isinstance(name, str)]


def _catalogs(agents: Any, path: Path) -> tuple[dict[str, AgentEntry], list[str]]:
    """The agents and tool names of the spec's catalogs (files, or an inline one)."""
    catalogs: list[Any] = [agents] if isinstance(agents, Mapping) else []
    for file in _catalog_files({"agents": agents}, path):
        try:
            catalogs.append(read_yaml(file, "agent catalog").data)
        except FileReadError:
            continue
    found: dict[str, AgentEntry] = {}
    tools: list[str] = []
    for data in catalogs:
        try:
            catalog = CatalogFile.model_validate(data or {})
        except ValidationError:
            continue
        found.update(catalog.agents)
        tools += catalog.tools
    return found, tools


def _files(folder: Path, exclude: set[Path]) -> tuple[str, ...]:
    try:
        files = sorted(folder.glob("*.y*ml"))
    except OSError:
        return ()
    return tuple(
        p.name for p in files if p.suffix in (".yaml", ".yml") and p.resolve() not in exclude
    )


def _catalog_choices(spec: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    """The catalogs the spec names, and the other YAML files of their folders."""
    named = _catalog_files(spec, path)
    others = [
        folder / name for folder in {p.parent for p in named} for name in _files(folder, set())
    ]
    return _unique(Path(os.path.relpath(p, path.parent)).as_posix() for p in [*named, *others])


def _people_in(value: Any) -> Iterator[str]:
    """Every name in a people list of the spec (approvers, escalate_to, human, and the
    ``to`` of an approval's escalation levels)."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key in PEOPLE_KEYS:
                yield from _names(inner)
            elif key == "escalate" and isinstance(inner, list):
                for level in inner:
                    yield from _names(level.get("to") if isinstance(level, Mapping) else None)
            else:
                yield from _people_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _people_in(inner)


def _names(value: Any) -> list[str]:
    return [who for who in value if isinstance(who, str)] if isinstance(value, list) else []
