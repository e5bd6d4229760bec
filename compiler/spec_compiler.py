"""Compile a spec file plus its agent catalogs into a validated ``Plan``.

Runs on the client side (it reads files) before any workflow starts. Every problem
found is reported at once, each with file, line, place and a hint. Sub-workflow
specs are compiled too and embedded in the plan.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from podium.compiler.agents import AgentResolver
from podium.compiler.humans import check_run_people
from podium.compiler.limits import budget, deadline, history
from podium.compiler.memory import check_spec_memory
from podium.compiler.policy import check_policies
from podium.compiler.problems import CompileError, Problem, Reporter
from podium.compiler.settings import check_schema
from podium.compiler.size import check_size
from podium.compiler.spec import SpecFile
from podium.compiler.spend_windows import spend_policies
from podium.compiler.step_graph import NAME, Scope
from podium.compiler.steps import StepCompiler
from podium.compiler.templates import check_template
from podium.compiler.validation_errors import describe
from podium.compiler.yamlfile import FileReadError, Loc, YamlDocument, read_yaml
from podium.workflows.kinds.base import RunPriority
from podium.workflows.plan import Plan


def compile_spec(path: str | Path, *, offline: bool | None = None) -> Plan:
    """Compile the spec at ``path`` into a ``Plan``; raise ``CompileError`` if it is wrong.

    Args:
        path: the spec's YAML file.
        offline: ``True`` runs every agent on the offline scripted model; ``None``
            (default) does so only for agents whose provider key variable is not set
            in this environment; ``False`` never substitutes.
    """
    path = Path(path)
    report = Reporter(path)
    try:
        plan = _compile(path, offline, report, stack=())
    except Exception as exc:  # a bug in Podium: still no traceback for the spec's author
        report.problems.append(_internal(path, exc))
        plan = None
    if report.problems or plan is None:
        raise CompileError(report.problems, report.warnings)
    return plan


def _compile(
    path: Path, offline: bool | None, report: Reporter, stack: tuple[Path, ...]
) -> Plan | None:
    doc = _read(path, report)
    if doc is None:
        return None
    if doc.data is None:
        report.problem(
            doc,
            (),
            "the spec is empty",
            "write at least name: and steps: (see docs/specs.md, or `podium schema`)",
        )
        return None
    if not isinstance(doc.data, dict):
        report.problem(
            doc,
            (),
            f"a spec must be a YAML mapping (name, input, agents, steps…), got "
            f"{describe(doc.data)}",
        )
        return None
    spec = report.validate(doc, SpecFile)
    if spec is None:
        return None
    check_schema(report, doc, ("input",), spec.input, "the spec's input schema")
    check_template(
        report,
        doc,
        ("summary",),
        spec.summary,
        roots=("input",),
        why=": the summary is made from the run input when the run starts",
    )
    check_run_people(report, doc, spec)
    agents = AgentResolver(report, offline, report.warnings)
    agents.load(doc, spec)
    if not check_size(report, doc, spec, agents.policies):
        return None  # refused before anything costly
    here = (*stack, path.resolve())

    def compile_child(parent: YamlDocument, loc: Loc, rel: str) -> Plan | None:
        child = (parent.path.parent / rel).resolve()
        if child in here:
            chain = " → ".join(p.name for p in (*here, child))
            report.problem(
                parent,
                loc,
                f"sub-workflow recursion: {chain}",
                "a spec cannot run itself, directly or through others",
            )
            return None
        if child.is_dir():
            report.problem(
                parent,
                loc,
                f"sub-workflow spec {rel!r} is a directory, not a file",
                "name the spec's .yaml file",
            )
            return None
        if not child.exists():
            report.problem(
                parent, loc, f"sub-workflow spec {rel!r} not found", f"looked at {child}"
            )
            return None
        return _compile(child, offline, report, here)

    steps_compiler = StepCompiler(report, doc, agents, compile_child)
    steps_compiler.memory = spec.memory
    check_spec_memory(report, doc, steps_compiler.graph, spec.memory)
    steps = steps_compiler.compile(spec.steps)
    output = _output(spec, steps_compiler)
    if spec.priority is not None and spec.priority.fairness is not None:
        where = ("priority", "fairness")  # read from the input when the run starts
        steps_compiler.graph.expression(where, spec.priority.fairness, Scope(frozenset()), None)
    if report.problems:
        return None
    effects = check_policies(report, doc, spec, steps, agents.policies)
    spend = spend_policies(report, doc, [(p.spend, d) for p, d in agents.policies])
    for i, url in enumerate(spec.notify):
        if not url.startswith(("http://", "https://")):
            report.problem(doc, ("notify", i), f"webhook {url!r} is not an http(s) URL")
    if report.problems:
        return None
    return Plan(
        notify=spec.notify,
        name=spec.name,
        source=str(path),
        summary=spec.summary,
        description=spec.description,
        input_schema=spec.input,
        steps=steps,
        output=output,
        warnings=report.warnings,
        budget=budget(spec.budget),
        deadline=deadline(spec.deadline),
        history=history(spec.history),
        priority=RunPriority(**spec.priority.model_dump()) if spec.priority else None,
        approve_side_effects=effects is not None,
        effect_approvers=effects.approvers if effects is not None else None,
        spend=spend,
    )


MAX_SPEC_BYTES = 1024 * 1024
"""A spec file larger than this is refused before it is parsed (a plan has to fit in
Temporal's 2 MB payload limit anyway; long documents belong in the run input)."""


def _read(path: Path, report: Reporter) -> YamlDocument | None:
    try:
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_SPEC_BYTES:
            message = (
                f"the spec file is {size / 1024 / 1024:.1f} MB; specs are limited to "
                f"{MAX_SPEC_BYTES // 1024 // 1024} MB"
            )
            hint = (
                "pass long documents in the run input (or by reference, e.g. a URL), and "
                "split a very large process into sub-workflows"
            )
            report.problems.append(Problem(message, path, None, "", hint))
            return None
        return read_yaml(path, "spec")
    except FileReadError as exc:
        report.file_error(exc)
    return None


def _output(spec: SpecFile, steps: StepCompiler) -> str | dict[str, str] | None:
    last = spec.steps[-1].id
    if spec.output is None:
        return f"steps.{last}.output" if last and NAME.match(last) else None
    # The output is read when every step has finished.
    scope = Scope(frozenset(steps.graph.named))
    items = {"": spec.output} if isinstance(spec.output, str) else spec.output
    for key, expr in items.items():
        steps.graph.expression(("output",) if key == "" else ("output", key), expr, scope, None)
    return spec.output


def _internal(path: Path, exc: Exception) -> Problem:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return Problem(
        f"Podium could not compile this spec: {type(exc).__name__}: {exc} "
        f"(in {Path(frame.filename).name}:{frame.lineno})",
        path,
        hint="this is a bug in Podium, not in your spec: please report it with the spec",
    )
