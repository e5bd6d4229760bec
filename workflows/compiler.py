"""Compile a spec file plus its agent catalogs into a validated ``Plan``.

Runs on the client side (it reads files) before any workflow starts. Every problem
found is reported at once, each with file, line, place and a hint.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ValidationError

from activities.contracts import (
    AgentConfig,
    FaultInjection,
    Price,
    ProviderConfig,
    RetrySettings,
    ScriptRule,
)
from activities.errors import ERROR_TYPES
from workflows.catalog import AgentEntry, CatalogFile, ProviderEntry, RetryEntry
from workflows.durations import parse_duration
from workflows.expressions import ROOTS, ExpressionError, literal, parse, references
from workflows.plan import Plan, PlanStep
from workflows.problems import CompileError, Problem, format_loc
from workflows.spec import SpecFile, StepEntry
from workflows.yamlfile import Loc, YamlDocument, read_yaml

STEP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BUILTIN = {
    "scripted": ProviderConfig(name="scripted", kind="scripted"),
    "function": ProviderConfig(name="function", kind="function"),
}


def compile_spec(path: str | Path, *, offline: bool | None = None) -> Plan:
    """Compile the spec at ``path`` into a ``Plan``; raise ``CompileError`` if it is wrong.

    Args:
        path: the spec's YAML file.
        offline: ``True`` runs every agent on the offline scripted model; ``None``
            (default) does so only for agents whose provider key variable is not set
            in this environment; ``False`` never substitutes.
    """
    return _Compiler(Path(path), offline).compile()


class _Compiler:
    def __init__(self, path: Path, offline: bool | None):
        self.path = path
        self.offline = offline
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.catalog_failed = False  # then unknown agents are a consequence, not news

    # -- reporting -------------------------------------------------------------
    def problem(self, doc: YamlDocument | None, loc: Loc, message: str, hint: str = "") -> None:
        file = doc.path if doc else self.path
        line = doc.line_of(loc) if doc else None
        where = format_loc(loc)
        if doc is not None and len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            step_id = _step_id_at(doc, loc[1])
            if step_id:
                where += f" (step {step_id!r})"
        self.problems.append(Problem(message, file, line, where, hint))

    def validate_model(self, doc: YamlDocument, model: type[BaseModel], prefix: Loc = ()) -> Any:
        data = doc.data
        for part in prefix:
            data = data[part]
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = prefix + tuple(p for p in err["loc"] if not _is_union_tag(p))
                self.problem(doc, loc, _pydantic_message(err), _pydantic_hint(err))
            return None

    # -- compile ---------------------------------------------------------------
    def compile(self) -> Plan:
        doc = self.read(self.path)
        if doc is None:
            raise CompileError(self.problems)
        if not isinstance(doc.data, dict):
            self.problem(doc, (), "a spec must be a YAML mapping (name, input, agents, steps…)")
            raise CompileError(self.problems)
        spec: SpecFile | None = self.validate_model(doc, SpecFile)
        if spec is None:
            raise CompileError(self.problems)
        self.check_schema(doc, ("input",), spec.input, "the spec's input schema")
        agents, providers = self.load_agents(doc, spec)
        steps = self.compile_steps(doc, spec, agents, providers)
        output = self.check_output(doc, spec, [s.id for s in spec.steps])
        if self.problems:
            raise CompileError(self.problems)
        return Plan(
            name=spec.name,
            source=str(self.path),
            summary=spec.summary,
            description=spec.description,
            input_schema=spec.input,
            steps=steps,
            output=output,
            warnings=self.warnings,
        )

    def read(self, path: Path) -> YamlDocument | None:
        try:
            return read_yaml(path)
        except FileNotFoundError:
            self.problems.append(Problem("file not found", path, hint="check the path"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            reason = getattr(exc, "problem", None) or str(exc)
            self.problems.append(Problem(f"not valid YAML: {reason}", path, line))
        return None

    def load_agents(
        self, doc: YamlDocument, spec: SpecFile
    ) -> tuple[dict[str, tuple[AgentEntry, YamlDocument, Loc]], dict[str, ProviderEntry]]:
        agents: dict[str, tuple[AgentEntry, YamlDocument, Loc]] = {}
        providers: dict[str, ProviderEntry] = {}
        sources: list[tuple[YamlDocument, Loc, CatalogFile]] = []
        if isinstance(spec.agents, CatalogFile):
            sources.append((doc, ("agents",), spec.agents))
        else:
            paths = [spec.agents] if isinstance(spec.agents, str) else spec.agents
            for i, rel in enumerate(paths):
                loc: Loc = ("agents",) if isinstance(spec.agents, str) else ("agents", i)
                cat_path = (self.path.parent / rel).resolve()
                if not cat_path.exists():
                    self.catalog_failed = True
                    self.problem(
                        doc, loc, f"agent catalog {rel!r} not found", f"looked at {cat_path}"
                    )
                    continue
                cat_doc = self.read(cat_path)
                if cat_doc is None:
                    self.catalog_failed = True
                    continue
                catalog = self.validate_model(cat_doc, CatalogFile)
                if catalog is not None:
                    sources.append((cat_doc, (), catalog))
                else:
                    self.catalog_failed = True
        for cat_doc, prefix, catalog in sources:
            providers.update(catalog.providers)
            for name, entry in catalog.agents.items():
                agents[name] = (entry, cat_doc, prefix + ("agents", name))
        return agents, providers

    def compile_steps(
        self,
        doc: YamlDocument,
        spec: SpecFile,
        agents: dict[str, tuple[AgentEntry, YamlDocument, Loc]],
        providers: dict[str, ProviderEntry],
    ) -> list[PlanStep]:
        resolved: dict[str, AgentConfig | None] = {}
        seen: list[str] = []
        all_ids = [s.id for s in spec.steps]
        steps: list[PlanStep] = []
        for i, step in enumerate(spec.steps):
            loc: Loc = ("steps", i)
            if not STEP_ID.match(step.id):
                self.problem(
                    doc,
                    loc + ("id",),
                    f"step id {step.id!r} is not a plain name",
                    "use letters, digits and '_' (it is read as steps.<id> in expressions)",
                )
            elif step.id in seen:
                self.problem(
                    doc,
                    loc + ("id",),
                    f"duplicate step id {step.id!r}",
                    "every step needs its own id",
                )
            if step.agent not in agents:
                if not self.catalog_failed:
                    self.problem(
                        doc,
                        loc + ("agent",),
                        f"unknown agent {step.agent!r}",
                        _suggest(step.agent, agents, "agents in the catalog"),
                    )
                agent = None
            else:
                if step.agent not in resolved:
                    entry, cat_doc, cat_loc = agents[step.agent]
                    resolved[step.agent] = self.resolve_agent(
                        step.agent, entry, providers, cat_doc, cat_loc
                    )
                agent = resolved[step.agent]
            inputs = self.compile_inputs(doc, loc, step, seen, all_ids)
            if agent is not None and inputs is not None:
                steps.append(_plan_step(step, agent, inputs))
            seen.append(step.id)
        return steps

    def compile_inputs(
        self, doc: YamlDocument, loc: Loc, step: StepEntry, earlier: list[str], all_ids: list[str]
    ) -> dict[str, str] | None:
        inputs: dict[str, str] = {}
        ok = True
        for name, value in step.with_.items():
            where = loc + ("with", name)
            if not isinstance(value, str):
                inputs[name] = literal(value)
                continue
            if self.check_expression(doc, where, value, earlier, all_ids, step.id):
                inputs[name] = value
            else:
                ok = False
        return inputs if ok else None

    def check_expression(
        self,
        doc: YamlDocument,
        loc: Loc,
        expr: str,
        earlier: list[str],
        all_ids: list[str],
        current: str | None,
    ) -> bool:
        try:
            roots, step_refs = references(expr)
        except ExpressionError as exc:
            self.problem(
                doc,
                loc,
                str(exc),
                "values are JMESPath, e.g. input.company or steps.research.output; "
                "quote plain text as \"'text'\"",
            )
            return False
        ok = True
        for root in sorted(roots - set(ROOTS)):
            self.problem(
                doc,
                loc,
                f"expression {expr!r} reads {root!r}, which does not exist",
                f"start from one of {', '.join(ROOTS)} (e.g. input.{root}); "
                f"quote plain text as \"'{root}'\"",
            )
            ok = False
        for ref in sorted(step_refs):
            if ref in earlier:
                continue
            if ref == current:
                msg, hint = f"step {ref!r} reads its own output", "read an earlier step's output"
            elif ref in all_ids:
                msg, hint = (
                    f"expression reads step {ref!r}, which runs later",
                    "move the step after the one it reads, or read an earlier step",
                )
            else:
                msg, hint = (
                    f"expression reads unknown step {ref!r}",
                    _suggest(ref, all_ids, "steps"),
                )
            self.problem(doc, loc, msg, hint)
            ok = False
        return ok

    def check_output(
        self, doc: YamlDocument, spec: SpecFile, ids: list[str]
    ) -> str | dict[str, str] | None:
        if spec.output is None:
            return f"steps.{ids[-1]}.output" if ids and STEP_ID.match(ids[-1]) else None
        items = {"": spec.output} if isinstance(spec.output, str) else spec.output
        for key, expr in items.items():
            loc: Loc = ("output",) if key == "" else ("output", key)
            self.check_expression(doc, loc, expr, ids, ids, None)
        return spec.output

    def check_schema(self, doc: YamlDocument, loc: Loc, schema: Any, what: str) -> None:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            self.problem(
                doc, loc + tuple(exc.path), f"{what} is not a valid JSON Schema: {exc.message}"
            )

    def resolve_agent(
        self,
        name: str,
        entry: AgentEntry,
        providers: dict[str, ProviderEntry],
        doc: YamlDocument,
        loc: Loc,
    ) -> AgentConfig | None:
        provider_name, _, model = entry.model.partition(":")
        offline_reason = None
        if provider_name in BUILTIN:
            provider = BUILTIN[provider_name]
            if provider_name == "function" and not model:
                self.problem(
                    doc, loc + ("model",), "function agent needs 'function:module:callable'"
                )
                return None
            model = model or "scripted"
        elif provider_name in providers:
            p = providers[provider_name]
            if not model:
                self.problem(
                    doc,
                    loc + ("model",),
                    f"model {entry.model!r} names no model",
                    f"write {provider_name}:<model-id>, e.g. {provider_name}:gpt-4o-mini",
                )
                return None
            provider = ProviderConfig(name=provider_name, **p.model_dump())
            offline_reason = self.offline_reason(provider)
            if offline_reason:
                provider = BUILTIN["scripted"]
        else:
            self.problem(
                doc,
                loc + ("model",),
                f"unknown provider {provider_name!r} in model {entry.model!r}",
                "declare it under providers: (base_url, api_key_env), or use "
                "'scripted' or 'function:module:callable'",
            )
            return None
        if entry.output is not None:
            self.check_schema(doc, loc + ("output",), entry.output, f"agent {name!r}'s output")
        for i, rule in enumerate(entry.script):
            if rule.when is not None:
                try:
                    parse(rule.when)
                except ExpressionError as exc:
                    self.problem(doc, loc + ("script", i, "when"), str(exc))
        if entry.faults and entry.faults.error not in ERROR_TYPES:
            self.problem(
                doc,
                loc + ("faults", "error"),
                f"unknown error class {entry.faults.error!r}",
                _suggest(entry.faults.error, ERROR_TYPES, "error classes"),
            )
        return AgentConfig(
            name=name,
            description=entry.description,
            provider=provider,
            model=model,
            instructions=entry.instructions,
            output_schema=entry.output,
            timeout_s=parse_duration(entry.timeout),
            heartbeat_s=parse_duration(entry.heartbeat),
            retry=_retry(entry.retry),
            price=Price(**entry.price.model_dump()),
            max_output_tokens=entry.max_output_tokens,
            script=[ScriptRule(**r.model_dump()) for r in entry.script],
            latency_s=parse_duration(entry.latency) if entry.latency else 0.0,
            faults=FaultInjection(**entry.faults.model_dump()) if entry.faults else None,
            offline_reason=offline_reason,
        )

    def offline_reason(self, provider: ProviderConfig) -> str | None:
        if self.offline is True:
            return "offline mode requested"
        if self.offline is False or not provider.api_key_env:
            return None
        if os.environ.get(provider.api_key_env):
            return None
        reason = f"{provider.api_key_env} is not set; using the offline scripted model"
        if reason not in self.warnings:
            self.warnings.append(reason)
        return reason


def _plan_step(step: StepEntry, agent: AgentConfig, inputs: dict[str, str]) -> PlanStep:
    return PlanStep(
        id=step.id,
        agent=agent,
        inputs=inputs,
        timeout_s=parse_duration(step.timeout) if step.timeout else agent.timeout_s,
        retry=_retry(step.retry) if step.retry else agent.retry,
        description=step.description,
    )


def _retry(entry: RetryEntry) -> RetrySettings:
    return RetrySettings(
        max_attempts=entry.max_attempts,
        initial_interval_s=parse_duration(entry.initial_interval),
        backoff=entry.backoff,
        max_interval_s=parse_duration(entry.max_interval),
    )


def _step_id_at(doc: YamlDocument, index: int) -> str | None:
    try:
        value = doc.data["steps"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _suggest(word: str, known: Any, what: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(word, names, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(names[:12]) or "none"
    return f"known {what}: {shown}"


def _is_union_tag(part: Any) -> bool:
    # pydantic puts the union member's type name into loc ('str', 'list[str]', 'CatalogFile')
    return isinstance(part, str) and (part in _UNION_TAGS or "[" in part)


_UNION_TAGS = {"str", "int", "float", "bool", "CatalogFile", "RetryEntry", "FaultEntry"}


def _pydantic_message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if err["type"] == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _pydantic_hint(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "remove it or check its spelling (see `podium schema` for the allowed keys)"
    return ""
