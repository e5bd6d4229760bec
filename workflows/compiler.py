"""Compile a spec file plus its agent catalogs into a validated ``Plan``.

Runs on the client side (it reads files) before any workflow starts. Every problem
found is reported at once, each with file, line, place and a hint. Sub-workflow
specs are compiled too and embedded in the plan.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from workflows.compile_agents import AgentResolver, check_schema
from workflows.compile_limits import budget, deadline
from workflows.compile_steps import StepCompiler
from workflows.plan import Plan
from workflows.problems import CompileError, Problem, Reporter
from workflows.spec import SpecFile
from workflows.step_graph import NAME, Scope
from workflows.yamlfile import Loc, YamlDocument, read_yaml


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
    plan = _compile(path, offline, report, warnings=[], stack=())
    if report.problems or plan is None:
        raise CompileError(report.problems)
    return plan


def _compile(
    path: Path, offline: bool | None, report: Reporter, warnings: list[str], stack: tuple[Path, ...]
) -> Plan | None:
    doc = _read(path, report)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        report.problem(doc, (), "a spec must be a YAML mapping (name, input, agents, steps…)")
        return None
    spec = report.validate(doc, SpecFile)
    if spec is None:
        return None
    check_schema(report, doc, ("input",), spec.input, "the spec's input schema")
    agents = AgentResolver(report, offline, warnings)
    agents.load(doc, spec)
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
        if not child.exists():
            report.problem(
                parent, loc, f"sub-workflow spec {rel!r} not found", f"looked at {child}"
            )
            return None
        return _compile(child, offline, report, warnings, here)

    steps_compiler = StepCompiler(report, doc, agents, compile_child)
    steps = steps_compiler.compile(spec.steps)
    output = _output(spec, steps_compiler)
    if report.problems:
        return None
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
        warnings=warnings,
        budget=budget(spec.budget),
        deadline=deadline(spec.deadline),
    )


def _read(path: Path, report: Reporter) -> YamlDocument | None:
    try:
        return read_yaml(path)
    except FileNotFoundError:
        report.problems.append(Problem("file not found", path, hint="check the path"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        report.problems.append(
            Problem(f"not valid YAML: {reason}", path, mark.line + 1 if mark else None)
        )
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
