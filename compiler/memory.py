"""Checking a step's ``memory:`` (``compiler.spec_memory``) and making the plan's
``StepMemory``: the subject is the step's own or the spec's, reads are for agent steps
(their agent receives input ``memory``), a write's fact may read the step's own output,
and every expression reads only what the step may."""

from __future__ import annotations

from podium.compiler.problems import Reporter
from podium.compiler.spec import StepEntry
from podium.compiler.spec_memory import MemoryEntry
from podium.compiler.step_graph import Scope, StepGraph
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.durations import parse_duration
from podium.workflows.expressions import ExpressionError, references
from podium.workflows.step_memory import MemoryRead, MemoryWrite, StepMemory
from podium.workflows.steps.memory import MEMORY_INPUT


def step_memory(
    report: Reporter,
    doc: YamlDocument,
    graph: StepGraph,
    spec_memory: MemoryEntry | None,
    step: StepEntry,
    loc: Loc,
    scope: Scope,
    step_id: str,
) -> StepMemory | None:
    """The plan's ``memory`` of ``step`` (None when it has none, or after a problem)."""
    entry = step.memory
    if entry is None:
        return None
    here = loc + ("memory",)
    ok = True
    subject = entry.subject or (spec_memory.subject if spec_memory else None)
    if subject is None:
        report.problem(
            doc,
            here,
            f"memory: on step {step_id!r}, but no subject says whose facts these are",
            "add memory: {subject: input.customer} at the top of the spec (or subject: on "
            "this step's memory:)",
        )
        ok = False
    elif entry.subject is not None:
        ok &= graph.expression(here + ("subject",), entry.subject, scope, step_id)
    read = None
    if entry.read is not None:
        if step.kind != "agent":
            report.problem(
                doc,
                here + ("read",),
                f"memory: read: is for agent steps (their agent receives the facts as input "
                f"{MEMORY_INPUT!r}); this is a {step.kind} step",
                "put memory: read: on the agent step inside it",
            )
            ok = False
        if MEMORY_INPUT in step.with_:
            report.problem(
                doc,
                loc + ("with", MEMORY_INPUT),
                f"with: {MEMORY_INPUT}: is where memory: read: puts the facts",
                "rename this input, or leave out memory: read:",
            )
            ok = False
        if entry.read.search is not None:
            ok &= graph.expression(here + ("read", "search"), entry.read.search, scope, step_id)
        read = MemoryRead(limit=entry.read.limit, search=entry.read.search)
    write = None
    if entry.write is not None:
        after = scope.with_done({step_id})  # the fact may read the step's own output
        ok &= graph.expression(here + ("write", "fact"), entry.write.fact, after, step_id)
        ttl = entry.write.ttl if entry.write.ttl is not None else (spec_memory and spec_memory.ttl)
        write = MemoryWrite(fact=entry.write.fact, ttl_s=parse_duration(ttl) if ttl else None)
    if not ok or subject is None:
        return None
    return StepMemory(subject=subject, read=read, write=write)


def check_spec_memory(
    report: Reporter, doc: YamlDocument, graph: StepGraph, spec_memory: MemoryEntry | None
) -> None:
    """The spec's subject reads only the run input (it names the run's subject)."""
    if spec_memory is None:
        return
    where = ("memory", "subject")
    try:
        roots, _, _ = references(spec_memory.subject)
    except ExpressionError:
        roots = {"input"}  # (graph.expression says what is wrong with it)
    if roots - {"input"}:
        report.problem(
            doc,
            where,
            f"the spec's memory subject {spec_memory.subject!r} reads more than the run input",
            "name the subject from the input (input.customer); a step whose subject comes "
            "from elsewhere says so in its own memory: subject:",
        )
        return
    graph.expression(where, spec_memory.subject, Scope(frozenset()), None)
