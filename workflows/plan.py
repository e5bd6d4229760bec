"""The compiled ``Plan``: the only input of the interpreter workflow.

A plan is self-contained (every agent resolved, every expression checked, every
sub-workflow's plan embedded), so a run's exact definition is in its history and
needs no file at run time. Nodes form a tree; top-level nodes also form a DAG
through ``needs``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from activities.contracts import AgentConfig, Contract, RetrySettings


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


class NodeBase(Contract):
    """What every step kind has."""

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


class AgentNode(NodeBase):
    """Call one agent."""

    kind: Literal["agent"] = "agent"
    agent: AgentConfig
    inputs: dict[str, str] = Field(default_factory=dict)
    """Input name → JMESPath expression over ``{input, steps, vars}``."""
    timeout_s: float
    retry: RetrySettings
    fallbacks: list[AgentConfig] = Field(default_factory=list)
    """Tried in order when the agent fails for good (after retries and repairs)."""
    capability: str | None = None
    """Set when the step asked for a capability: the agent is chosen at run time."""
    compensate: AgentNode | None = None
    """Undoes this step (saga) if a later step fails or the run is cancelled."""
    candidates: list[AgentConfig] = Field(default_factory=list)
    require: dict[str, str] = Field(default_factory=dict)
    """Requirement name (market, language, max_price) → expression."""


class Branch(Contract):
    """One branch of a parallel step: a sequence of steps; its output is the last one's."""

    id: str
    steps: list[Node]
    on_error: Literal["fail", "continue"] = "fail"
    """``fail``: a failed branch fails the join; ``continue``: record it and go on."""


class ParallelNode(NodeBase):
    """Run branches concurrently and join them."""

    kind: Literal["parallel"] = "parallel"
    branches: list[Branch]
    join: Literal["all", "any", "quorum"] = "all"
    quorum: int | None = None


class MapNode(NodeBase):
    """Run a step template once per item of a list known only at run time."""

    kind: Literal["map"] = "map"
    over: str
    as_: str = Field("item", alias="as")
    template: Node
    max_concurrency: int = 10
    batch_size: int = 100
    """Above this many items, items run in child workflows of this size."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RouteNode(NodeBase):
    """Pick one case by the value of an expression."""

    kind: Literal["route"] = "route"
    on: str
    cases: dict[str, Node]
    default: Node | None = None


class RefineNode(NodeBase):
    """Producer and reviewer in a loop until ``until`` holds or ``max_rounds``."""

    kind: Literal["refine"] = "refine"
    producer: Node
    reviewer: Node
    until: str
    max_rounds: int = 3


class WorkflowNode(NodeBase):
    """Run another spec as a child workflow."""

    kind: Literal["workflow"] = "workflow"
    plan: Plan
    inputs: dict[str, str] = Field(default_factory=dict)


class EscalationLevel(Contract):
    """After ``after_s`` seconds without a decision, the request moves to ``to``."""

    to: list[str]
    after_s: float


class ApprovalNode(NodeBase):
    """Ask people to approve or reject; the output is the decision."""

    kind: Literal["approval"] = "approval"
    title: str
    """Template (``{{ input.company }}``) rendered when the request opens."""
    details: str | None = None
    """Expression whose value is shown with the request."""
    approvers: list[str] = Field(default_factory=list)
    escalate: list[EscalationLevel] = Field(default_factory=list)
    timeout_s: float | None = None
    """How long the last level waits before ``on_timeout`` decides (None: forever)."""
    on_timeout: Literal["approve", "reject", "fail"] = "reject"


Node = Annotated[
    AgentNode | ParallelNode | MapNode | RouteNode | RefineNode | WorkflowNode | ApprovalNode,
    Field(discriminator="kind"),
]


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

    def agents_used(self) -> dict[str, AgentConfig]:
        """Agents by name, in step order (nested steps included)."""
        found: dict[str, AgentConfig] = {}
        for node in walk(self.steps):
            if isinstance(node, AgentNode):
                for agent in (node.agent, *node.candidates, *node.fallbacks):
                    found.setdefault(agent.name, agent)
        return found


def children(node: Node) -> list[Node]:
    """Direct sub-steps of a node (not those of a sub-workflow's plan)."""
    if isinstance(node, ParallelNode):
        return [s for b in node.branches for s in b.steps]
    if isinstance(node, MapNode):
        return [node.template]
    if isinstance(node, RouteNode):
        return [*node.cases.values(), *([node.default] if node.default else [])]
    if isinstance(node, RefineNode):
        return [node.producer, node.reviewer]
    return []


def walk(nodes: list[Node]) -> list[Node]:
    """Every node, depth first."""
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        out += walk(children(node))
    return out


def asks_people(node: Node) -> bool:
    """Whether running ``node`` may open a human request (approval or escalation)."""
    return any(isinstance(n, ApprovalNode) or n.on_error == "escalate" for n in walk([node]))


def tracked(nodes: list[Node]) -> list[Node]:
    """Nodes that get their own entry in the run state: top-level steps and the steps of
    parallel branches (map items, route cases and refine rounds are recorded on their
    parent)."""
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        if isinstance(node, ParallelNode):
            out += tracked([s for b in node.branches for s in b.steps])
    return out


def node_label(node: Node) -> str:
    """One line saying what a node does (Web UI details, graphs)."""
    if isinstance(node, AgentNode):
        if node.capability:
            return f"capability {node.capability}"
        return f"agent {node.agent.name}"
    if isinstance(node, ParallelNode):
        join = f"quorum {node.quorum}" if node.join == "quorum" else node.join
        return f"parallel ({join}): " + ", ".join(b.id for b in node.branches)
    if isinstance(node, MapNode):
        return f"map over {node.over} → {node_label(node.template)}"
    if isinstance(node, RouteNode):
        return (
            f"route on {node.on}: "
            + ", ".join(node.cases)
            + (" (+ default)" if node.default else "")
        )
    if isinstance(node, RefineNode):
        return (
            f"refine {node_label(node.producer)} ⇄ {node_label(node.reviewer)}, "
            f"≤ {node.max_rounds} rounds"
        )
    if isinstance(node, ApprovalNode):
        return f"approval by {', '.join(node.approvers) or 'anyone'}"
    return f"sub-workflow {node.plan.name}"


class RunInput(Contract):
    """Input of the interpreter workflow."""

    plan: Plan
    input: dict[str, Any] = Field(default_factory=dict)


for _model in (
    Branch,
    MapNode,
    RouteNode,
    RefineNode,
    WorkflowNode,
    ParallelNode,
    ApprovalNode,
    Plan,
):
    _model.model_rebuild()
