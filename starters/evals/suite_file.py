"""Reading an eval suite file: parsed with line numbers, checked against ``Suite``, its
spec compiled, each case's input checked against the spec's input schema, every
expression, pattern and JSON Schema parsed, and every agent, tool, step and judge it
names looked up — all before a run starts, every problem reported at once with its line
(a ``CompileError``, as a spec's problems are)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from podium.activities.contracts import AgentConfig
from podium.compiler.agents import load_catalog
from podium.compiler.inputs import check_input
from podium.compiler.problems import CompileError, Reporter, suggest
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.yamlfile import FileReadError, Loc, YamlDocument, read_yaml
from podium.starters.evals.suite import Case, Suite
from podium.starters.inputs import InputError, read_input
from podium.workflows.durations import parse_duration
from podium.workflows.expressions import ExpressionError, parse
from podium.workflows.kinds.base import walk
from podium.workflows.plan import Plan


@dataclass
class LoadedCase:
    """A case ready to run: its input read and checked, its timeout in seconds."""

    case: Case
    input: dict[str, Any]
    timeout_s: float


@dataclass
class LoadedSuite:
    """A checked suite: the compiled spec, the cases, the judges it names."""

    name: str
    path: Path
    suite: Suite
    plan: Plan
    cases: list[LoadedCase]
    judges: dict[str, AgentConfig] = field(default_factory=dict)
    offline: bool | None = None
    """Every agent and judge on the scripted model (the suite's ``offline:`` or ``--offline``)."""


def load_suite(path: Path, *, offline: bool | None = None) -> LoadedSuite:
    """Read, compile and check the suite at ``path`` (``offline``: every agent and judge
    on the scripted model, whatever the suite says).

    Raises:
        CompileError: anything wrong, with every problem and its line.
    """
    report = Reporter(path)
    try:
        doc = read_yaml(path, "eval suite")
    except FileReadError as exc:
        report.file_error(exc)
        raise CompileError(report.problems) from None
    suite = report.validate(doc, Suite)
    if suite is None:
        raise CompileError(report.problems)
    offline = True if offline else suite.offline
    spec_path = path.parent / suite.spec
    try:
        plan = compile_spec(spec_path, offline=offline)
    except CompileError as exc:
        report.problem(doc, ("spec",), f"the spec {suite.spec} does not compile:\n{exc}")
        raise CompileError(report.problems) from None
    judges = _judges(report, doc, suite, spec_path, offline)
    cases = [_case(report, doc, plan, suite, i, case) for i, case in enumerate(suite.cases)]
    _check_names(report, doc, suite)
    for i, case in enumerate(suite.cases):
        _check_expectations(report, doc, plan, judges, i, case)
    if report.problems:  # in the file's order
        raise CompileError(sorted(report.problems, key=lambda p: p.line or 0))
    ready = [case for case in cases if case is not None]  # (all of them: no problems)
    return LoadedSuite(suite.name or path.stem, path, suite, plan, ready, judges, offline)


def _judges(
    report: Reporter, doc: YamlDocument, suite: Suite, spec_path: Path, offline: bool | None
) -> dict[str, AgentConfig]:
    """The agents of the judge catalogs (default: the catalogs the spec names)."""
    named = suite.judge_files()
    files = [doc.path.parent / f for f in named] or spec_catalogs(spec_path)
    if not any(case.expect.judge for case in suite.cases):
        return {}
    agents: dict[str, AgentConfig] = {}
    for file in files:
        try:
            agents.update(load_catalog(file, offline=offline))
        except CompileError as exc:
            report.problem(doc, ("judges",), f"the judge catalog {file} cannot be read:\n{exc}")
    return agents


def spec_catalogs(spec_path: Path) -> list[Path]:
    """The catalog files a spec's ``agents:`` names (none when they are inline)."""
    try:
        named = read_yaml(spec_path, "spec").data.get("agents")
    except (FileReadError, AttributeError):
        return []
    paths = [named] if isinstance(named, str) else named
    if not isinstance(paths, list):
        return []
    return [spec_path.parent / p for p in paths if isinstance(p, str)]


def _case(
    report: Reporter, doc: YamlDocument, plan: Plan, suite: Suite, i: int, case: Case
) -> LoadedCase | None:
    """The case's input, read and checked against the spec's input schema."""
    where: Loc = ("cases", i, "input_file" if case.input_file else "input")
    try:
        if case.input_file is not None:
            run_input = read_input(None, str(doc.path.parent / case.input_file))
        else:
            run_input = case.input or {}
        check_input(plan, run_input, f"case {case.name!r}")
    except InputError as exc:
        report.problem(doc, where, str(exc))
        return None
    except CompileError as exc:
        for problem in exc.problems:
            report.problem(doc, where, problem.message, problem.hint)
        return None
    timeout = case.timeout if case.timeout is not None else suite.defaults.timeout
    return LoadedCase(case, run_input, parse_duration(timeout))


def _check_names(report: Reporter, doc: YamlDocument, suite: Suite) -> None:
    seen: set[str] = set()
    for i, case in enumerate(suite.cases):
        if case.name in seen:
            report.problem(
                doc,
                ("cases", i, "name"),
                f"a second case named {case.name!r}",
                "give each case its own name: results and baselines match cases by name",
            )
        seen.add(case.name)


def _check_expectations(
    report: Reporter,
    doc: YamlDocument,
    plan: Plan,
    judges: dict[str, AgentConfig],
    i: int,
    case: Case,
) -> None:
    """Expressions parse, patterns compile, schemas are schemas, names exist."""
    here: Loc = ("cases", i)
    expect = case.expect
    for j, check in enumerate(expect.output):
        at = (*here, "expect", "output", j)
        _expression(
            report,
            doc,
            (*at, check.kind if check.kind == "jmespath" else "at"),
            check.jmespath or check.at,
        )
        if check.regex is not None:
            try:
                re.compile(check.regex)
            except re.error as exc:
                report.problem(doc, (*at, "regex"), f"not a regular expression: {exc}")
        if check.schema_ is not None:
            try:
                Draft202012Validator.check_schema(check.schema_)
            except SchemaError as exc:
                report.problem(doc, (*at, "schema"), f"not a JSON Schema: {exc.message}")
    for j, judge in enumerate(expect.judge):
        at = (*here, "expect", "judge", j)
        _expression(report, doc, (*at, "at"), judge.at)
        if judge.about is not None and judge.about not in plan.agents_used():
            report.problem(
                doc,
                (*at, "about"),
                f"the spec calls no agent {judge.about!r}",
                suggest(judge.about, plan.agents_used(), "agents"),
            )
        if judge.agent not in judges:
            hint = suggest(judge.agent, judges, "agents") + " (judges: names their catalogs)"
            if not judges:
                hint = "name the judge's catalog file under judges: (default: the spec's)"
            report.problem(doc, (*at, "agent"), f"no judge agent {judge.agent!r}", hint)
    if expect.trajectory is not None:
        _check_trajectory(report, doc, plan, (*here, "expect", "trajectory"), case)
    steps = {node.id for node in walk(plan.steps)}
    for j, answer in enumerate(case.answers):
        step = re.sub(r"-\d+$", "", answer.step)
        if answer.step not in steps and step not in steps:
            report.problem(
                doc,
                (*here, "answers", j, "step"),
                f"the spec has no step {answer.step!r}",
                suggest(answer.step, steps, "steps"),
            )


def _check_trajectory(report: Reporter, doc: YamlDocument, plan: Plan, at: Loc, case: Case) -> None:
    trajectory = case.expect.trajectory
    assert trajectory is not None
    agents = plan.agents_used()
    tools = {tool.name for agent in agents.values() for tool in agent.tools}
    for key, names, known, what in (
        ("agents", trajectory.agents or [], agents, "agents"),
        ("not_agents", trajectory.not_agents, agents, "agents"),
        ("tools", trajectory.tools or [], tools, "tools"),
        ("not_tools", trajectory.not_tools, tools, "tools"),
    ):
        for k, name in enumerate(names):
            if name not in known:
                report.problem(
                    doc,
                    (*at, key, k),
                    f"the spec's agents call no {what[:-1]} {name!r}",
                    suggest(name, known, what),
                )


def _expression(report: Reporter, doc: YamlDocument, at: Loc, expression: str) -> None:
    try:
        parse(expression)
    except ExpressionError as exc:
        report.problem(
            doc, at, str(exc), "expressions read output, input, status and steps.<id>.output"
        )
