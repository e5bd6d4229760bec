"""Loading agent catalogs and resolving agents into ``AgentConfig``s (compile time)."""

from __future__ import annotations

import os
from pathlib import Path

from podium.activities.contracts import (
    BUILTIN_PROVIDERS,
    AgentConfig,
    CircuitSettings,
    FaultInjection,
    Price,
    ProviderConfig,
    ScriptRule,
)
from podium.activities.error_types import ERROR_TYPES
from podium.activities.guards.settings import GuardSettings
from podium.activities.tool_contracts import ToolSpec
from podium.compiler.catalog import AgentEntry, CatalogFile, ProviderEntry, provider_config
from podium.compiler.catalog_policy import PolicyEntry
from podium.compiler.catalog_tools import ToolEntry
from podium.compiler.guards import agent_guard, own_tool_guard, tool_guard
from podium.compiler.problems import Reporter, suggest
from podium.compiler.settings import check_schema, retry_settings
from podium.compiler.spec import SpecFile
from podium.compiler.templates import check_template, check_templates_in
from podium.compiler.tools import check_tool_choice, resolve_tool
from podium.compiler.yamlfile import FileReadError, Loc, YamlDocument, read_yaml
from podium.workflows.durations import parse_duration
from podium.workflows.expressions import ExpressionError, parse


class AgentResolver:
    """The agents a spec may use, resolved on first use."""

    def __init__(self, report: Reporter, offline: bool | None, warnings: list[str]):
        self.report = report
        self.offline = offline
        self.warnings = warnings
        self.entries: dict[str, tuple[AgentEntry, YamlDocument, Loc]] = {}
        self.providers: dict[str, ProviderEntry] = {}
        self.tools: dict[str, tuple[ToolEntry, YamlDocument, Loc]] = {}
        self.resolved_tools: dict[str, ToolSpec | None] = {}
        self.tool_guards: dict[str, tuple[GuardSettings | None, dict[str, AgentConfig]]] = {}
        self.resolved: dict[str, AgentConfig | None] = {}
        self.policies: list[tuple[PolicyEntry, YamlDocument]] = []
        """Each catalog's ``policy:`` (every one applies) and the file it is in."""
        self.incomplete = False
        """True when a catalog could not be read: unknown agents are then no news."""

    def load(self, doc: YamlDocument, spec: SpecFile) -> None:
        """Read the spec's catalogs (files relative to the spec, or inline)."""
        if isinstance(spec.agents, CatalogFile):
            self._add(doc, ("agents",), spec.agents)
            return
        paths = [spec.agents] if isinstance(spec.agents, str) else spec.agents
        for i, rel in enumerate(paths):
            loc: Loc = ("agents",) if isinstance(spec.agents, str) else ("agents", i)
            path = (doc.path.parent / rel).resolve()
            cat_doc = self._read(doc, loc, rel, path)
            if cat_doc is not None and cat_doc.data is None:
                self.report.problem(
                    cat_doc, (), "the agent catalog is empty", "write its agents: (and providers:)"
                )
                cat_doc = None
            catalog = self.report.validate(cat_doc, CatalogFile) if cat_doc else None
            if cat_doc is None or catalog is None:
                self.incomplete = True
                continue
            self._add(cat_doc, (), catalog)

    def _read(self, doc: YamlDocument, loc: Loc, rel: str, path: Path) -> YamlDocument | None:
        if not path.exists():
            self.report.problem(doc, loc, f"agent catalog {rel!r} not found", f"looked at {path}")
            return None
        try:
            return read_yaml(path, "it")
        except FileReadError as exc:
            if any(issue.line for issue in exc.issues):  # a problem inside: shown there
                self.report.file_error(exc)
            for issue in exc.issues:  # the file as a whole: shown where the spec names it
                if not issue.line:
                    message = f"agent catalog {rel!r}: {issue.message}"
                    self.report.problem(doc, loc, message, issue.hint)
            return None

    def _add(self, doc: YamlDocument, prefix: Loc, catalog: CatalogFile) -> None:
        if catalog.policy is not None:
            self.policies.append((catalog.policy, doc))
        self.providers.update(catalog.providers)
        for name, tool in catalog.tools.items():
            self.tools[name] = (tool, doc, prefix + ("tools", name))
        for name, entry in catalog.agents.items():
            self.entries[name] = (entry, doc, prefix + ("agents", name))

    def get(self, name: str, doc: YamlDocument, loc: Loc) -> AgentConfig | None:
        """The agent ``name``, or None (with a problem recorded at ``loc``)."""
        if name not in self.entries:
            if not self.incomplete:
                hint = suggest(name, self.entries, "agents in the catalog")
                self.report.problem(doc, loc, f"unknown agent {name!r}", hint)
            return None
        if name not in self.resolved:
            entry, cat_doc, cat_loc = self.entries[name]
            self.resolved[name] = self._resolve(name, entry, cat_doc, cat_loc)
        return self.resolved[name]

    def capable(self, capability: str, doc: YamlDocument, loc: Loc) -> list[AgentConfig]:
        """Every agent with ``capability`` (resolved); a problem if there is none."""
        names = [n for n, (entry, _, _) in self.entries.items() if capability in entry.capabilities]
        if not names and not self.incomplete:
            known = {c for entry, _, _ in self.entries.values() for c in entry.capabilities}
            self.report.problem(
                doc,
                loc,
                f"no agent has capability {capability!r}",
                suggest(capability, known, "capabilities"),
            )
        agents = [self.get(n, doc, loc) for n in names]
        return [a for a in agents if a is not None]

    def fallbacks(self, name: str) -> list[AgentConfig] | None:
        """``name``'s fallback chain, flattened in order (fallbacks of fallbacks after them,
        each agent once); None if one is unknown (a problem is recorded)."""
        chain: list[AgentConfig] = []
        seen, queue, ok = {name}, [name], True
        while queue:
            current = queue.pop(0)
            entry, doc, loc = self.entries[current]
            for i, other in enumerate(entry.fallback):
                if other in seen:
                    _useless_fallback(self.report, doc, loc + ("fallback", i), current, entry, i)
                    continue
                agent = self.get(other, doc, loc + ("fallback", i))
                if agent is None:
                    ok = False
                    continue
                seen.add(other)
                chain.append(agent)
                queue.append(other)
        return chain if ok else None

    def _resolve(
        self, name: str, entry: AgentEntry, doc: YamlDocument, loc: Loc
    ) -> AgentConfig | None:
        provider = self._provider(entry, doc, loc)
        if provider is None:
            return None
        provider_cfg, model, offline_reason = provider
        if entry.fast and provider_cfg.limited:
            self.warnings.append(
                f"agent {name!r} is declared fast, but provider {provider_cfg.name!r} has "
                "limits (requests_per_second, tokens_per_minute or max_concurrency): its "
                "calls stay regular activities, which the limits are kept by"
            )
        if entry.output is not None:
            check_schema(
                self.report, doc, loc + ("output",), entry.output, f"agent {name!r}'s output"
            )
        for i, rule in enumerate(entry.script):
            check_templates_in(self.report, doc, loc + ("script", i, "output"), rule.output)
            check_template(self.report, doc, loc + ("script", i, "fail"), rule.fail)
            if rule.when is not None:
                try:
                    parse(rule.when)
                except ExpressionError as exc:
                    self.report.problem(doc, loc + ("script", i, "when"), str(exc))
        guard, guard_agents = agent_guard(self, name, entry, doc, loc)
        tools = self._tools(name, entry, doc, loc, guard, guard_agents)
        check_tool_choice(self.report, name, entry, doc, loc)
        if entry.undo is not None and entry.undo not in self.entries and not self.incomplete:
            self.report.problem(
                doc,
                loc + ("undo",),
                f"agent {name!r}: undo: names {entry.undo!r}, which is not an agent here",
                suggest(entry.undo, self.entries, "agents in the catalog"),
            )
        elif entry.undo is not None and not entry.side_effects:
            self.report.problem(
                doc,
                loc + ("undo",),
                f"agent {name!r} declares undo: but no side effects",
                "add side_effects: true if it changes the world, or remove undo:",
            )
        if entry.faults and entry.faults.error not in ERROR_TYPES:
            self.report.problem(
                doc,
                loc + ("faults", "error"),
                f"unknown error class {entry.faults.error!r}",
                suggest(entry.faults.error, ERROR_TYPES, "error classes"),
            )
        return AgentConfig(
            name=name,
            description=entry.description,
            capabilities=entry.capabilities,
            markets=entry.markets,
            languages=entry.languages,
            provider=provider_cfg,
            model=model,
            instructions=entry.instructions,
            output_schema=entry.output,
            timeout_s=parse_duration(entry.timeout),
            heartbeat_s=parse_duration(entry.heartbeat),
            retry=retry_settings(entry.retry),
            price=Price(**entry.price.model_dump()),
            max_output_tokens=entry.max_output_tokens,
            repair_attempts=entry.repair_attempts,
            side_effects=entry.side_effects,
            undo=entry.undo,
            fast=entry.fast,
            script=[ScriptRule(**r.model_dump()) for r in entry.script],
            latency_s=parse_duration(entry.latency) if entry.latency else 0.0,
            faults=FaultInjection(**entry.faults.model_dump()) if entry.faults else None,
            offline_reason=offline_reason,
            tools=tools or [],
            max_turns=entry.max_turns,
            tool_choice=entry.tool_choice,
            guard=guard,
            guard_agents=guard_agents,
            circuit=CircuitSettings(
                error_rate=entry.max_error_rate,
                window_s=parse_duration(entry.error_window),
                min_calls=5,
            )
            if entry.max_error_rate is not None
            else None,
        )

    def _tools(
        self,
        name: str,
        entry: AgentEntry,
        doc: YamlDocument,
        loc: Loc,
        guard: GuardSettings | None = None,
        guard_agents: dict[str, AgentConfig] | None = None,
    ) -> list[ToolSpec] | None:
        """The agent's tools, resolved once each (None if one is wrong: problems recorded),
        each with the guard it runs with for this agent (its own, and the agent's injection
        check); the classifiers their guards name are added to ``guard_agents``."""
        found: list[ToolSpec] = []
        ok = True
        for i, tool_name in enumerate(entry.tools):
            if tool_name not in self.tools:
                hint = suggest(tool_name, self.tools, "tools in the catalog's tools:")
                self.report.problem(
                    doc, loc + ("tools", i), f"agent {name!r}: unknown tool {tool_name!r}", hint
                )
                ok = False
                continue
            if tool_name not in self.resolved_tools:
                tool, tool_doc, tool_loc = self.tools[tool_name]
                self.resolved_tools[tool_name] = resolve_tool(
                    self.report, tool_name, tool, tool_doc, tool_loc, self._undo_tool
                )
            spec = self.resolved_tools[tool_name]
            own, classifiers = own_tool_guard(self, tool_name)
            if guard_agents is not None:
                guard_agents.update(classifiers)
            effective = tool_guard(own, guard)
            if spec is None:
                ok = False
            elif effective is not None:
                found.append(spec.model_copy(update={"guard": effective}))
            else:
                found.append(spec)
        return found if ok else None

    def _undo_tool(self, name: str) -> ToolSpec | None:
        """A tool named by another's ``compensate:`` (resolved without the side-effect
        rule: undoing is its purpose)."""
        if name not in self.tools:
            return None
        tool, doc, loc = self.tools[name]
        return resolve_tool(self.report, name, tool, doc, loc, None)

    def _provider(
        self, entry: AgentEntry, doc: YamlDocument, loc: Loc
    ) -> tuple[ProviderConfig, str, str | None] | None:
        provider_name, _, model = entry.model.partition(":")
        if provider_name in BUILTIN_PROVIDERS:
            if provider_name == "function" and not model:
                self.report.problem(
                    doc, loc + ("model",), "function agent needs 'function:module:callable'"
                )
                return None
            return BUILTIN_PROVIDERS[provider_name], model or "scripted", None
        if provider_name not in self.providers:
            self.report.problem(
                doc,
                loc + ("model",),
                f"unknown provider {provider_name!r} in model {entry.model!r}",
                "declare it under providers: (base_url, api_key_env), or use "
                "'scripted' or 'function:module:callable'",
            )
            return None
        if not model:
            self.report.problem(
                doc,
                loc + ("model",),
                f"model {entry.model!r} names no model",
                f"write {provider_name}:<model-id>, e.g. {provider_name}:gpt-4o-mini",
            )
            return None
        provider = provider_config(provider_name, self.providers[provider_name])
        reason = self._offline_reason(provider)
        return (BUILTIN_PROVIDERS["scripted"], model, reason) if reason else (provider, model, None)

    def _offline_reason(self, provider: ProviderConfig) -> str | None:
        """Why an agent of ``provider`` runs on the scripted model, or None.

        Decided here, where the spec is compiled, from the *plan's* key variable: a run
        compiled without the key is offline whatever the workers hold (a worker's catalog
        may rename the variable, but only for runs that reach its provider queue). The
        base URL plays no part: its ``${VAR}`` is expanded on the worker, not here.
        """
        if self.offline is True:
            return "offline mode requested"
        if self.offline is False or not provider.api_key_env:
            return None
        if os.environ.get(provider.api_key_env):
            return None
        reason = (
            f"{provider.api_key_env} is not set where the spec is compiled; using the offline "
            f"scripted model for provider {provider.name!r} (workers' keys are not consulted: "
            f"set {provider.api_key_env} here to run on the provider)"
        )
        if reason not in self.warnings:
            self.warnings.append(reason)
        return reason


def load_catalog(path: str | Path, *, offline: bool | None = None) -> dict[str, AgentConfig]:
    """Every agent of a catalog file, resolved — for hand-written workflows.

    Pass the result (or some of its agents) as your workflow's input, then call them
    with ``workflows.steps.agent_call.call_agent``. Raises ``CompileError``.
    """
    from podium.compiler.problems import CompileError

    path = Path(path)
    report = Reporter(path)
    try:
        doc = read_yaml(path, "agent catalog")
    except FileReadError as exc:
        report.file_error(exc)
        raise CompileError(report.problems) from None
    catalog = report.validate(doc, CatalogFile)
    resolver = AgentResolver(report, offline, [])
    agents: dict[str, AgentConfig] = {}
    if catalog is not None:
        resolver._add(doc, (), catalog)
        for name in catalog.agents:
            agent = resolver.get(name, doc, ("agents", name))
            if agent is not None:
                agents[name] = agent
    if report.problems:
        raise CompileError(report.problems, report.warnings)
    return agents


def _useless_fallback(
    report: Reporter, doc: YamlDocument, loc: Loc, name: str, entry: AgentEntry, i: int
) -> None:
    """Warn about a fallback that can never be used: the agent itself, or listed twice."""
    other = entry.fallback[i]
    if other == name:
        report.warn(
            doc,
            loc,
            f"agent {name!r} lists itself as its own fallback; that entry is ignored (a failed "
            "agent is not tried again as its own fallback)",
            "remove it, or name another agent; to try the same agent longer raise its "
            "retry: max_attempts",
        )
    elif other in entry.fallback[:i]:
        report.warn(
            doc,
            loc,
            f"agent {name!r} lists fallback {other!r} twice; the second entry is ignored",
            "remove the repeated entry",
        )
