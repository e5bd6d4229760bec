"""The workflow spec language (YAML).

    name: deal_review
    summary: "Deal review for {{ input.company }}"
    input: {type: object, required: [company], properties: {company: {type: string}}}
    agents: ../agents/deal.yaml            # a catalog file, a list of them, or inline
    steps:
      - id: reviews                        # parallel fan-out / fan-in
        parallel:
          - {id: financial, agent: financial-analyst, with: {terms: input.terms}}
          - {id: legal, agent: legal-analyst, with: {terms: input.terms}, on_error: continue}
        join: all                          # all | any | {quorum: 2}
      - id: compliance                     # dynamic map over a run-time list
        map: {over: input.markets, as: market, max_concurrency: 6}
        step: {agent: compliance-checker, with: {market: vars.market}}
      - id: desk                           # conditional routing
        route:
          on: steps.risk.output.level
          cases: {high: {agent: senior-reviewer}, low: {agent: junior-reviewer}}
          default: {agent: junior-reviewer}
      - id: reply                          # iterative refinement
        refine:
          producer: {agent: writer, with: {feedback: vars.feedback}}
          reviewer: {agent: editor, with: {draft: vars.draft}}
          until: vars.review.approved
          max_rounds: 3
      - id: onboarding                     # sub-workflow (another spec)
        workflow: vendor_onboarding.yaml
        with: {vendor: input.company}
        when: "steps.desk.output.ok"       # any step: condition
        optional: true                     # any step: failure does not fail the run
        needs: [reviews]                   # top-level steps: DAG edges
    output: steps.reply.output

Values in ``with`` are JMESPath over ``{input, steps, vars}``; non-strings are literal.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from podium.compiler.catalog import CatalogFile
from podium.compiler.entries import Duration, RetryEntry, Strict, check_duration
from podium.compiler.spec_kinds import (
    ApprovalEntry,
    GotoEntry,
    MapEntry,
    QuorumEntry,
    SuperviseEntry,
)
from podium.compiler.spec_limits import (
    BudgetEntry,
    DeadlineEntry,
    HistoryEntry,
    StepBudgetEntry,
    deadline_shorthand,
)
from podium.compiler.spec_memory import MemoryEntry, StepMemoryEntry
from podium.workflows.kinds.base import BUILTIN_SPEC_KEYS, spec_keys
from podium.workflows.kinds.base import KINDS as REGISTERED
from pydantic import ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

KINDS = tuple(k for k in BUILTIN_SPEC_KEYS if k not in ("capability", "steps"))
"""``StepEntry`` fields that select a built-in kind (``capability`` is an agent step too;
``steps`` a parallel branch's sequence)."""


class RouteEntry(Strict):
    """``route:`` settings."""

    on: str = Field(description="Expression whose value picks the case.")
    cases: dict[str, StepEntry] = Field(default_factory=dict)
    default: StepEntry | None = None


class RefineEntry(Strict):
    """``refine:`` settings."""

    producer: StepEntry
    reviewer: StepEntry
    until: str | None = Field(None, description="Expression over vars.review; true = accepted.")
    max_rounds: int | None = Field(None, ge=1, le=500)


class StepEntry(Strict):
    """One step: exactly one key that selects its kind (``workflows.kinds.base.spec_keys``:
    the built-ins' and those of kinds registered besides them)."""

    id: str | None = Field(
        None, description="Unique step id; letters, digits and '_' (read as steps.<id>)."
    )
    description: str = ""
    when: str | None = Field(None, description="Run only if this expression is truthy.")
    optional: bool = False
    needs: list[str] | None = Field(None, description="Top-level steps to wait for.")
    on_error: Literal["fail", "continue", "escalate"] = Field(
        "fail",
        description="fail the run; continue (parallel branches); escalate to a person "
        "(agent steps).",
    )
    escalate_to: list[str] = Field(
        default_factory=list, description="With on_error: escalate — who may resolve it."
    )
    agent: str | None = None
    capability: str | None = Field(
        None, description="Instead of agent: pick the best agent with this capability."
    )
    require: dict[str, Any] = Field(
        default_factory=dict,
        description="With capability: market, language (expressions or values), "
        "max_price (USD/Mtok).",
    )
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    compensate: StepEntry | None = Field(
        None,
        description="Agent step undoing this one if a later step fails or the run is cancelled.",
    )
    timeout: Duration | None = None
    retry: RetryEntry | None = None
    parallel: list[StepEntry] | None = None
    join: Literal["all", "any"] | QuorumEntry = "all"
    steps: list[StepEntry] | None = Field(None, description="A parallel branch's sequence.")
    map: MapEntry | None = None
    step: StepEntry | None = Field(None, description="The map's step template.")
    route: RouteEntry | None = None
    refine: RefineEntry | None = None
    supervise: SuperviseEntry | None = None
    workflow: str | None = Field(None, description="Path of a spec to run as a child.")
    approval: ApprovalEntry | None = None
    budget: StepBudgetEntry | None = None
    deadline: DeadlineEntry | None = Field(
        None, description="SLA: a duration (fails the step) or {after, on_breach, escalate_to}."
    )
    goto: GotoEntry | None = Field(
        None,
        description="Agent steps: the answer's `goto` field picks the next step (to: [ids], "
        "max: N).",
    )
    memory: StepMemoryEntry | None = Field(
        None,
        description="Memory across runs: read: (its agent gets input memory), write: (a "
        "fact kept after the step), subject: (instead of the spec's).",
    )
    kind_entry: SkipJsonSchema[dict[str, Any] | None] = Field(None, exclude=True)
    """Set for a step of a kind registered besides the built-ins: ``{kind, value}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _registered_kind(cls, data: Any) -> Any:
        """Move the key of a registered (non-built-in) kind into ``kind_entry``."""
        if not isinstance(data, dict) or "kind_entry" in data:
            return data
        for kind in REGISTERED.values():
            key = kind.spec_key
            if key and key in data and key not in cls.model_fields:
                rest = {k: v for k, v in data.items() if k != key}
                return {**rest, "kind_entry": {"kind": kind.name, "value": data[key]}}
        return data

    _durations = field_validator("timeout")(check_duration)
    _deadlines = field_validator("deadline", mode="before")(deadline_shorthand)

    @model_validator(mode="after")
    def _one_kind(self) -> StepEntry:
        kinds = [k for k in KINDS if getattr(self, k) is not None]
        if self.kind_entry is not None:
            kinds.append(str(self.kind_entry["kind"]))
        if self.capability is not None:
            kinds.append("capability")
        if self.steps is not None:
            kinds.append("steps")
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            keys = ", ".join(k for k in spec_keys() if k != "steps")
            raise ValueError(
                f"a step needs exactly one of {keys} (or steps, in a parallel branch); "
                f"found: {found}"
            )
        return self

    @property
    def kind(self) -> str:
        """Which kind of step this is."""
        if self.kind_entry is not None:
            return str(self.kind_entry["kind"])
        if self.capability is not None:
            return "agent"
        return next((k for k in KINDS if getattr(self, k) is not None), "steps")


@functools.cache
def entry_adapter(entry: Any) -> TypeAdapter[Any]:
    """Validator of a registered kind's ``spec_entry``."""
    return TypeAdapter(entry)


def registered_entries() -> dict[str, Any]:
    """JSON Schemas of the spec keys of kinds registered besides the built-ins."""
    return {
        kind.spec_key: (
            entry_adapter(kind.spec_entry).json_schema(by_alias=True)
            if kind.spec_entry is not None
            else {}
        )
        | {"description": kind.summary or f"a {kind.name} step"}
        for kind in REGISTERED.values()
        if kind.spec_key and kind.spec_key not in StepEntry.model_fields
    }


class PriorityEntry(Strict):
    """``priority:`` — the order backlogged work is taken in (Temporal's task Priority,
    for the run, its agent and tool calls and its child runs)."""

    key: int | None = Field(
        None, ge=1, le=5, description="1 (first) … 5 (last); runs without one count as 3."
    )
    fairness: str | None = Field(
        None,
        description="Expression over the input giving the fairness key (a tenant, a market): "
        "backlogged work is shared between keys by weight.",
    )
    weight: float | None = Field(
        None, gt=0, le=1000, description="This run's fairness weight (default 1)."
    )


class SpecFile(Strict):
    """A workflow spec file."""

    name: str
    summary: str | None = Field(None, description="Web UI summary; may use {{ input.x }}.")
    description: str = ""
    input: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object"}, description="JSON Schema of the run input."
    )
    agents: str | list[str] | CatalogFile = Field(
        default_factory=CatalogFile, description="Catalog file path(s), or an inline catalog."
    )
    steps: list[StepEntry] = Field(min_length=1)
    output: str | dict[str, str] | None = None
    notify: list[str] = Field(
        default_factory=list, description="Webhooks told about human requests."
    )
    budget: BudgetEntry | None = Field(
        None, description="Run budget: {usd, tokens, on_exceed: fail|escalate}."
    )
    deadline: DeadlineEntry | None = Field(
        None, description="Run SLA: a duration or {after, on_breach, escalate_to}."
    )
    history: HistoryEntry | None = Field(
        None,
        description="Continue as new past {max_events, max_mb} of history (default 10,000 "
        "events / 10 MB), or when the server suggests it.",
    )
    priority: PriorityEntry | None = Field(
        None, description="Priority key (1–5), fairness key expression and weight of runs."
    )
    memory: MemoryEntry | None = Field(
        None,
        description="Memory across runs: {subject: expression over the input, ttl}; steps "
        "say what they read and write.",
    )

    _deadlines = field_validator("deadline", mode="before")(deadline_shorthand)


for _model in (RouteEntry, RefineEntry, StepEntry, SpecFile):
    _model.model_rebuild()
