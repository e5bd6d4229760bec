"""What every step kind shares, and the one registry of kinds.

A step kind is one module in ``workflows/kinds/`` holding its plan node (a ``NodeBase``
model with ``kind: Literal[...]``) and a ``StepKind`` subclass that says everything
else about it: how it runs (``execute``), its nested steps (``children``), its one-line
label, how it is drawn, and how a spec step compiles into it. ``register`` adds a kind;
``kind_of`` finds a node's kind and fails loudly for one nobody registered. Plan fields
typed ``Node`` accept any registered kind (validated by its own model), so a kind added
later — by a contributor or a test — needs no change anywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ClassVar, Literal

from podium.activities.contract_base import Contract
from podium.activities.contracts import AgentConfig
from podium.activities.spend_contracts import SpendPolicy
from podium.workflows.step_memory import StepMemory
from pydantic import Field
from pydantic_core import core_schema


class Budget(Contract):
    """Spending limit of a run (or cap of one step). None: no limit on that measure."""

    usd: float | None = None
    tokens: int | None = None
    on_exceed: Literal["fail", "escalate"] = "fail"
    """Run budgets only: ``fail`` stops the run; ``escalate`` asks a person to raise the
    budget, let the call go ahead, or abort. A step cap always fails the step."""
    escalate_to: list[str] = Field(default_factory=list)


class Deadline(Contract):
    """SLA of a run or step: a durable timer from its start."""

    after_s: float
    on_breach: Literal["fail", "escalate", "notify"] = "fail"
    """``fail``: stop it; ``escalate``: ask a person (keep waiting, skip, abort);
    ``notify``: tell the webhooks, flag it and keep going."""
    escalate_to: list[str] = Field(default_factory=list)


class HistoryLimits(Contract):
    """When a run continues as new (Temporal keeps at most 51,200 events / 50 MB of
    history per run; the server also suggests it earlier)."""

    max_events: int = 10_000
    max_bytes: int = 10 * 1024 * 1024


class RunPriority(Contract):
    """A run's Temporal task Priority (inherited by its activities and child runs)."""

    key: int | None = None
    """1 (first) … 5 (last); None: the default (3)."""
    fairness: str | None = None
    """Expression over the run input giving the fairness key."""
    weight: float | None = None


class NodeBase(Contract):
    """What every step kind has."""

    kind: str
    id: str
    description: str = ""
    when: str | None = None
    """Expression; when falsy the step is skipped (recorded with the reason)."""
    optional: bool = False
    """A failed optional step does not fail the run; its output is null and flagged."""
    needs: list[str] = Field(default_factory=list)
    """Step ids that must have finished before this one starts (top-level steps)."""
    on_error: Literal["fail", "escalate"] = "fail"
    """``escalate``: when the step fails for good, ask a person (retry/supply/skip/abort)."""
    escalate_to: list[str] = Field(default_factory=list)
    """Who may resolve such a failure (empty: anyone)."""
    budget: Budget | None = None
    """Cap on what this step (everything inside it included) may spend."""
    deadline: Deadline | None = None
    memory: StepMemory | None = None
    """Facts about a subject its agent reads, and the fact it keeps (docs/memory.md)."""


class UnknownKind(ValueError):
    """A node or spec names a step kind nobody registered."""


class StepKind:
    """Everything Podium knows about one kind of step (subclass it, then ``register``)."""

    name: ClassVar[str]
    """The node's ``kind`` (``agent``, ``parallel``, …)."""
    node: ClassVar[type[NodeBase]]
    """The plan node model."""
    shape: ClassVar[str] = "agent"
    """The box it is drawn as: one of ``SHAPES`` (checked when the kind is registered)."""
    summary: ClassVar[str] = ""
    """One line for the docs' table of kinds."""
    spec_key: ClassVar[str | None] = None
    """The YAML key that makes a spec step this kind (``toy: …``), for kinds registered
    besides the built-ins, whose keys are ``StepEntry`` fields. Its value reaches
    ``compile`` as ``step.kind_entry["value"]``."""
    spec_entry: ClassVar[Any] = None
    """The type of that value (a pydantic model, ``str``, …): the spec is checked against
    it when parsed (problems point into it) and the JSON Schema for editors includes it.
    None: any value, checked only by ``compile``."""

    def children(self, node: Any) -> list[Any]:
        """Direct sub-steps (not those of a sub-workflow's plan)."""
        return []

    def asks_people(self, node: Any) -> bool:
        """Whether the node itself (not its children) may put a question to people."""
        return False

    def tracked_children(self, node: Any) -> list[Any]:
        """Sub-steps that get their own entry in the run state (parallel branches)."""
        return []

    def label(self, node: Any) -> str:
        """One line saying what the node does (Web UI details, graphs)."""
        return f"{self.name} step"

    def draw(self, graph: Any, node: Any, exits: dict[str, str], prefix: str) -> tuple[str, str]:
        """Draw ``node`` into ``graph`` (a ``compiler.graph.Graph``: ``box``, ``link``,
        ``draw``); return its (entry, exit) box keys. The built-in kinds are drawn by
        ``compiler.graph`` itself; a kind registered besides them may override this."""
        key = graph.box(prefix, node, f"{node.id}: {self.label(node)}", self.shape)
        return key, key

    def __init__(
        self,
        run: Callable[..., Awaitable[Any]] | None = None,
        build: Callable[..., Any] | None = None,
    ) -> None:
        """``run(node, frame, ctx)`` and ``build(compiler, step, loc, scope, common)`` may be
        given as functions instead of overriding ``execute`` and ``compile``."""
        self._run, self._build = run, build

    async def execute(self, node: Any, frame: Any, ctx: Any) -> Any:
        """Run the node in a workflow; return its output (``steps.<id>.output``).

        ``frame`` (``workflows.frame.Frame``) holds what its expressions read
        (``frame.data``) and the tracked record to charge (``frame.owner``); ``ctx``
        the run."""
        if self._run is None:
            raise NotImplementedError(f"step kind {self.name!r} cannot run")
        return await self._run(node, frame, ctx)

    def compiles_itself(self) -> bool:
        """Whether this kind brings its own compilation (``build=`` or an override of
        ``compile``); the built-ins' are in ``compiler.kinds``."""
        return self._build is not None or type(self).compile is not StepKind.compile

    def compile(self, compiler: Any, step: Any, loc: Any, scope: Any, common: dict) -> Any:
        """The plan node of a spec step of this kind (None after reporting problems)."""
        if self._build is None:
            raise NotImplementedError(f"step kind {self.name!r} cannot be compiled from a spec")
        return self._build(compiler, step, loc, scope, common)


KINDS: dict[str, StepKind] = {}
"""Every registered kind by name, in registration order."""


SHAPES = (
    "start",
    "end",
    "agent",
    "fork",
    "join",
    "map",
    "route",
    "merge",
    "until",
    "child",
    "approval",
)
"""The boxes a diagram has (``compiler.graph`` draws each; a test keeps the two in step)."""


def register(kind: StepKind, *, replace: bool = False) -> StepKind:
    """Add ``kind`` to the registry. A kind of the same name is replaced only with
    ``replace=True``: runs in flight replay through whatever is registered."""
    if kind.shape not in SHAPES:
        raise ValueError(
            f"step kind {kind.name!r}: shape {kind.shape!r} is not a box Podium draws; use "
            f"one of {', '.join(SHAPES)}"
        )
    if kind.name in KINDS and not replace and type(KINDS[kind.name]) is not type(kind):
        raise ValueError(
            f"a step kind named {kind.name!r} is registered already "
            f"({type(KINDS[kind.name]).__name__}); pick another name, or pass replace=True"
        )
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests that register a toy kind clean up with this)."""
    KINDS.pop(name, None)


def spec_keys() -> tuple[str, ...]:
    """YAML keys that select a step kind (the built-ins' and registered kinds')."""
    extra = tuple(k.spec_key for k in KINDS.values() if k.spec_key)
    return (*BUILTIN_SPEC_KEYS, *extra)


BUILTIN_SPEC_KEYS = (
    "agent",
    "capability",
    "parallel",
    "map",
    "route",
    "refine",
    "supervise",
    "workflow",
    "approval",
    "steps",
)
"""The keys that select the built-in kinds in a spec (``capability`` is an agent step,
``steps`` a parallel branch's sequence)."""


def kind_of(node: Any) -> StepKind:
    """The kind of ``node``; ``UnknownKind`` if it is not registered."""
    name = getattr(node, "kind", None)
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise UnknownKind(f"unknown step kind {name!r} (registered: {', '.join(KINDS)})")
    return kind


def _validate_node(value: Any) -> NodeBase:
    if isinstance(value, NodeBase):
        kind_of(value)
        return value
    if not isinstance(value, dict):
        raise ValueError(f"a step must be a mapping, not {type(value).__name__}")
    if not KINDS:
        raise UnknownKind(
            "no step kinds are registered: import podium.workflows.plan (it registers the "
            "built-in kinds) before reading a plan"
        )
    name = value.get("kind", "agent")
    kind = KINDS.get(name)
    if kind is None:
        raise UnknownKind(f"unknown step kind {name!r} (registered: {', '.join(KINDS)})")
    return kind.node.model_validate(value)


def _serialize_node(value: NodeBase, _handler: Any, info: Any) -> Any:
    return value.__pydantic_serializer__.to_python(
        value,
        mode=info.mode,
        by_alias=info.by_alias,
        exclude_none=info.exclude_none,
        exclude_defaults=info.exclude_defaults,
        exclude_unset=info.exclude_unset,
        round_trip=info.round_trip,
    )


class _AnyRegisteredKind:
    """Pydantic hook: validate a node with its kind's own model, serialize it as itself."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: Callable[[Any], core_schema.CoreSchema]
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_node,
            serialization=core_schema.wrap_serializer_function_ser_schema(
                _serialize_node, info_arg=True
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "object", "description": "a step of any registered kind"}


Node = Annotated[NodeBase, _AnyRegisteredKind]
"""A plan node of any registered kind."""


def children(node: Any) -> list[Any]:
    """Direct sub-steps of a node (not those of a sub-workflow's plan)."""
    return kind_of(node).children(node)


def walk(nodes: list[Any]) -> list[Any]:
    """Every node, depth first."""
    out: list[Any] = []
    for node in nodes:
        out.append(node)
        out += walk(children(node))
    return out


def tracked(nodes: list[Any]) -> list[Any]:
    """Nodes that get their own entry in the run state: top-level steps and the steps of
    parallel branches (map items, route cases and refine rounds are recorded on their
    parent)."""
    out: list[Any] = []
    for node in nodes:
        out.append(node)
        out += tracked(kind_of(node).tracked_children(node))
    return out


def kinds_table() -> str:
    """The Markdown table of registered kinds (docs/specs.md carries it; a test checks)."""
    rows = [f"| `{k.name}` | {k.summary} |" for k in KINDS.values()]
    return "\n".join(["| kind | what it does |", "|---|---|", *rows]) + "\n"


def asks_people(node: Any) -> bool:
    """Whether running ``node`` may open a human request (approval, escalation, a
    question to a person on a supervise team)."""
    return any(
        n.kind == "approval" or n.on_error == "escalate" or kind_of(n).asks_people(n)
        for n in walk([node])
    )


def node_label(node: Any) -> str:
    """One line saying what a node does (Web UI details, graphs)."""
    return kind_of(node).label(node)


class Plan(Contract):
    """A compiled spec."""

    name: str
    source: str = ""
    """Where the spec came from (file path), for people reading the history."""
    summary: str | None = None
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)
    steps: list[Node]
    output: str | dict[str, str] | None = None
    """Expression (or mapping of expressions) for the run's final output."""
    warnings: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    """Webhook URLs told about human requests (workers may add more)."""
    budget: Budget | None = None
    deadline: Deadline | None = None
    history: HistoryLimits = Field(default_factory=HistoryLimits)
    """Past these, the run continues as new between steps (``workflows/run_input.py``)."""
    priority: RunPriority | None = None
    """The order runs of this spec are served in when workers are behind."""
    approve_side_effects: bool = False
    """A catalog policy asks that every side effect be approved first: the interpreter
    checks the approvals again right before each such step (``workflows/gates.py``)."""
    effect_approvers: list[str] | None = None
    """The policy's list of who may approve side effects (None: any approver)."""
    spend: list[SpendPolicy] = Field(default_factory=list)
    """The catalogs' spend windows (``policy: spend``): every agent call of the run reserves
    in them (``workflows/steps/spend_desk.py``)."""

    def agents_used(self) -> dict[str, AgentConfig]:
        """Agents by name, in step order (nested steps included)."""
        found: dict[str, AgentConfig] = {}
        for node in walk(self.steps):
            for agent in (
                getattr(node, "agent", None),
                *getattr(node, "candidates", []),
                *getattr(node, "fallbacks", []),
            ):
                if isinstance(agent, AgentConfig):
                    found.setdefault(agent.name, agent)
        return found
