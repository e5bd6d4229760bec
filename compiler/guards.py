"""The catalog's ``guard:`` on an agent or a tool, and how it compiles into the plan's
``GuardSettings`` (docs/guards.md).

    agents:
      intake:
        guard:
          input: mask                         # or {pii: mask|redact|block, kinds: [...]}
          output: {pii: block, kinds: [card, sg_nric], on_trip: escalate}
          injection: {classifier: injection-judge}   # screens its inputs and tools' results
          on_trip: fail                       # what a block or an injection does
          escalate_to: [privacy-desk]
    tools:
      web_page:
        http: {url: "https://…"}
        guard: {output: redact, injection: true}     # the result, before the model reads it

Checked here: every kind is known, the classifier is an agent of the catalogs without
tools or a classifier of its own (it would screen itself), ``escalate_to`` names people
and is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from podium.activities.contracts import AgentConfig
from podium.activities.guards.settings import PII_KINDS, GuardSettings, InjectionCheck, PiiCheck
from podium.compiler.catalog_guards import GuardEntry, InjectionEntry, PiiEntry
from podium.compiler.humans import check_names
from podium.compiler.problems import Reporter, suggest
from podium.compiler.yamlfile import Loc, YamlDocument

Resolved = tuple[GuardSettings | None, dict[str, AgentConfig]]


class AgentResolver(Protocol):
    """What resolving guards needs of ``compiler.agents.AgentResolver`` (named here, not
    imported: that module imports this one)."""

    report: Reporter
    entries: dict[str, Any]
    tools: dict[str, Any]
    tool_guards: dict[str, Resolved]
    incomplete: bool

    def get(self, name: str, doc: YamlDocument, loc: Loc) -> AgentConfig | None: ...


def resolve_guard(
    report: Reporter,
    doc: YamlDocument,
    loc: Loc,
    owner: str,
    entry: GuardEntry,
    classifier: Callable[[str, Loc], AgentConfig | None],
) -> tuple[GuardSettings | None, dict[str, AgentConfig]]:
    """``entry`` as the plan holds it, and the classifier agent it names (None and {} with
    problems recorded if it is wrong). ``classifier(name, loc)`` resolves an agent."""
    before = len(report.problems)
    checks = {
        side: _pii(report, doc, loc + (side,), getattr(entry, side)) for side in ("input", "output")
    }
    injection = entry.injection
    if injection is True:
        injection = InjectionEntry()
    agents: dict[str, AgentConfig] = {}
    if isinstance(injection, InjectionEntry) and injection.classifier is not None:
        found = classifier(injection.classifier, loc + ("injection", "classifier"))
        if found is not None:
            agents[found.name] = found
    check_names(report, doc, loc + ("escalate_to",), entry.escalate_to)
    settings = GuardSettings(
        input=checks["input"],
        output=checks["output"],
        injection=InjectionCheck(**injection.model_dump())
        if isinstance(injection, InjectionEntry)
        else None,
        on_trip=entry.on_trip,
        escalate_to=entry.escalate_to,
    )
    if entry.escalate_to and not settings.escalates():
        report.warn(
            doc,
            loc + ("escalate_to",),
            f"{owner}'s guard never escalates, so escalate_to: is never used",
            "add on_trip: escalate (to the guard or one of its checks), or remove escalate_to:",
        )
    if len(report.problems) > before:
        return None, {}
    return settings, agents


def _pii(
    report: Reporter, doc: YamlDocument, loc: Loc, entry: PiiEntry | str | None
) -> PiiCheck | None:
    if entry is None:
        return None
    if isinstance(entry, str):
        return PiiCheck(action=entry)
    for i, kind in enumerate(entry.kinds or []):
        if kind not in PII_KINDS:
            report.problem(
                doc,
                loc + ("kinds", i),
                f"unknown kind of personal data {kind!r}",
                suggest(kind, PII_KINDS, "kinds"),
            )
    kinds = list(entry.kinds) if entry.kinds is not None else list(PII_KINDS)
    return PiiCheck(action=entry.pii, kinds=kinds, on_trip=entry.on_trip)


def agent_guard(
    resolver: AgentResolver, name: str, entry: Any, doc: YamlDocument, loc: Loc
) -> Resolved:
    """Agent ``name``'s ``guard:`` (``entry`` is its ``AgentEntry``) and its classifier."""
    if entry.guard is None:
        return None, {}
    return resolve_guard(
        resolver.report,
        doc,
        loc + ("guard",),
        f"agent {name!r}",
        entry.guard,
        lambda other, at: _classifier(resolver, name, other, doc, at),
    )


def own_tool_guard(resolver: AgentResolver, tool: str) -> Resolved:
    """A catalog tool's own ``guard:`` (resolved once per compile) and its classifier."""
    if tool not in resolver.tool_guards:
        entry, doc, loc = resolver.tools[tool]
        found: Resolved = (None, {})
        if entry.guard is not None:
            found = resolve_guard(
                resolver.report,
                doc,
                loc + ("guard",),
                f"tool {tool!r}",
                entry.guard,
                lambda other, at: _classifier(resolver, None, other, doc, at),
            )
        resolver.tool_guards[tool] = found
    return resolver.tool_guards[tool]


def _classifier(
    resolver: AgentResolver, owner: str | None, name: str, doc: YamlDocument, loc: Loc
) -> AgentConfig | None:
    """Agent ``name`` as a guard's classifier (None, with a problem, if it cannot be:
    unknown, the guarded agent itself, with tools or a classifier of its own — which would
    also let resolving one agent go round in a circle)."""
    report = resolver.report
    if name not in resolver.entries:
        if not resolver.incomplete:
            hint = suggest(name, resolver.entries, "agents in the catalog")
            report.problem(doc, loc, f"unknown classifier agent {name!r}", hint)
        return None
    agent = resolver.entries[name][0]
    why = None
    if name == owner:
        why = f"agent {name!r} cannot be its own classifier (it would screen itself)"
    elif agent.tools:
        why = f"the classifier {name!r} has tools; a classifier only reads and answers"
    elif agent.guard is not None and isinstance(agent.guard.injection, InjectionEntry):
        if agent.guard.injection.classifier is not None:
            why = f"the classifier {name!r} names a classifier of its own in its guard"
    if why is not None:
        report.problem(doc, loc, why, "name an agent that only reads and answers")
        return None
    return resolver.get(name, doc, loc)


def tool_guard(own: GuardSettings | None, agent: GuardSettings | None) -> GuardSettings | None:
    """The guard a tool runs with for one agent: its own, with the agent's injection check
    where it has none of its own (a finding then trips as the agent's guard says)."""
    inherited = agent.injection if agent is not None else None
    if inherited is None or (own is not None and own.injection is not None):
        return own
    assert agent is not None
    check = inherited.model_copy(update={"on_trip": inherited.on_trip or agent.on_trip})
    if own is None:
        return GuardSettings(injection=check, on_trip=agent.on_trip, escalate_to=agent.escalate_to)
    return own.model_copy(
        update={"injection": check, "escalate_to": own.escalate_to or agent.escalate_to}
    )
