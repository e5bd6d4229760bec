"""Contracts of the agent-call activity: what goes in, what comes out.

These pydantic models are durable: they are written into workflow histories, so
fields may be added (optional, with defaults) but never renamed or removed. Their base
``Contract`` is in ``contract_base``, ``RetrySettings`` in ``retry_settings``, the tools'
contracts in ``tool_contracts``.
"""

from __future__ import annotations

from typing import Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.guards.settings import GuardSettings, GuardTrip
from podium.activities.retry_settings import RetrySettings
from podium.activities.spend_contracts import SpendTerms
from podium.activities.tool_contracts import ToolCall, ToolSpec
from pydantic import BaseModel, ConfigDict, Field
from temporalio.exceptions import ApplicationError


class Usage(Contract):
    """Tokens one model call consumed."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )


class Price(Contract):
    """Price of a model in USD per million tokens."""

    input_per_mtok: float = Field(0.0, ge=0)
    output_per_mtok: float = Field(0.0, ge=0)

    def cost(self, usage: Usage) -> float:
        """USD cost of ``usage`` at this price."""
        return (
            usage.input_tokens * self.input_per_mtok + usage.output_tokens * self.output_per_mtok
        ) / 1_000_000


DEFAULT_REPAIR_ATTEMPTS = 2
"""Re-asks after an answer that fails its schema. One answer in ~17 failing its schema
(a 30% fault mix) leaves 1 in ~5,000 calls failed after two repairs, 1 in ~300 after one."""


class ScriptRule(Contract):
    """One rule of the scripted model: when ``when`` (JMESPath over the inputs) is truthy,
    answer ``output`` — or, with ``fail``, refuse permanently with that message. Strings in
    ``output`` may use ``{{ name }}`` to echo inputs."""

    when: str | None = None
    output: Any = None
    fail: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    """Call these tools (``{name, arguments}``) instead of answering. ``when`` sees the
    inputs plus ``tool_results`` (name → last result) and ``turn``."""


class FaultInjection(Contract):
    """Scripted-model faults: the first ``fail_times`` attempts raise ``error``."""

    fail_times: int = Field(0, ge=0)
    error: str = "ProviderServerError"
    message: str = "injected fault"


class CircuitSettings(Contract):
    """Open a provider's circuit when too many recent calls failed; probe again later."""

    error_rate: float = Field(0.5, gt=0, le=1)
    window_s: float = Field(60.0, gt=0)
    min_calls: int = Field(10, ge=1)
    """Calls in the window before the error rate counts."""
    open_s: float = Field(30.0, gt=0)
    """How long calls fail fast before one probe call is let through."""


class ProviderConfig(Contract):
    """How to reach one model provider. Holds the *name* of the key variable, never a key."""

    name: str
    kind: Literal["openai", "scripted", "function"]
    base_url: str | None = None
    api_key_env: str | None = None
    structured_output: Literal["json_schema", "json_object", "none"] = "json_schema"
    requests_per_second: float | None = None
    max_concurrency: int | None = None
    tokens_per_minute: int | None = None
    """Enforced across workers by the provider's limiter workflow (leases per call)."""
    tokens_burst: int | None = None
    """Most tokens the limiter lends at once (default: a full minute's worth)."""
    circuit: CircuitSettings | None = None
    """Circuit breaker (on by default for HTTP providers; None: off)."""

    @property
    def limited(self) -> bool:
        """Calls wait for a rate, a token budget or a concurrency cap (kept by the
        provider's queue and limiter, so they never take the fast path)."""
        return bool(self.requests_per_second or self.tokens_per_minute or self.max_concurrency)


BUILTIN_PROVIDERS: dict[str, ProviderConfig] = {
    "scripted": ProviderConfig(name="scripted", kind="scripted"),
    "function": ProviderConfig(name="function", kind="function"),
}
"""Providers every worker serves and no catalog declares: the offline scripted model
and Python function agents."""


class AgentConfig(Contract):
    """An agent fully resolved from the catalog: everything one call needs."""

    name: str
    description: str = ""
    capabilities: list[str] = Field(default_factory=list)
    markets: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    provider: ProviderConfig
    model: str
    """Model id sent to the provider (``gpt-4o-mini``), or the function path for
    function agents (``package.module:callable``)."""
    instructions: str = ""
    output_schema: dict[str, Any] | None = None
    timeout_s: float = 60.0
    heartbeat_s: float = 5.0
    retry: RetrySettings = Field(default_factory=RetrySettings)
    price: Price = Field(default_factory=Price)
    max_output_tokens: int = 1024
    side_effects: bool = False
    """The agent changes the world (may declare a compensation)."""
    undo: str | None = None
    """The agent the catalog pairs with this one to undo its effect (``undo:``): a step's
    ``compensate:`` exempts it from an approval policy only when it calls this agent."""
    repair_attempts: int = Field(DEFAULT_REPAIR_ATTEMPTS, ge=0)
    """How many times an answer that fails the output schema is re-asked (with the errors)."""
    script: list[ScriptRule] = Field(default_factory=list)
    latency_s: float = 0.0
    faults: FaultInjection | None = None
    circuit: CircuitSettings | None = None
    """The agent's own breaker (``max_error_rate``), beside its provider's."""
    offline_reason: str | None = None
    """Set when the catalog asked for a real provider but the compiler substituted the
    offline scripted model (e.g. no API key); shown next to every output."""
    tools: list[ToolSpec] = Field(default_factory=list)
    """The tools this agent may call (its allow-list), definitions pinned."""
    max_turns: int = Field(8, ge=1, le=100)
    """Model turns in one step's tool loop; the last one may not call tools."""
    tool_choice: str | None = None
    """``auto``, ``required``, ``none`` or one of its tools' names: sent as the Chat
    Completions ``tool_choice`` on every turn that offers tools (None: the provider's
    default)."""
    fast: bool = False
    """Declared fast (``fast: true``): its first attempt runs as a local activity on the
    orchestration worker, for at most 10 s (then, or on any failure, regular ones)."""
    guard: GuardSettings | None = None
    """Checks on what its provider is sent and on its answer (``guard:``, docs/guards.md)."""
    guard_agents: dict[str, AgentConfig] = Field(default_factory=dict)
    """The classifier agents its guard and its tools' guards name, resolved."""


class RepairRequest(Contract):
    """Re-ask after an answer failed the output schema: what was said and what was wrong."""

    previous: str
    errors: list[str]


class StreamTarget(Contract):
    """Where an agent call publishes its text as it is written (``activities/streaming``):
    the run's workflow and the call's id (shared by the call's retries)."""

    workflow_id: str
    call: str


class AgentCall(Contract):
    """Input of the ``run_agent`` activity: one model request."""

    agent: AgentConfig
    inputs: dict[str, Any] = Field(default_factory=dict)
    run_id: str = ""
    step_id: str = ""
    idempotency_key: str = ""
    repair: RepairRequest | None = None
    """Set on a repair round: the invalid answer and its validation errors."""
    attempt: int = 1
    """Provider attempt of this call (1 = first try; a worker crash does not count)."""
    timeout_s: float | None = None
    """The step's ``timeout:`` (default: the agent's): how long the provider may take to
    answer, counted from the request, not from the wait for a rate-limit slot."""
    messages: list[dict[str, Any]] = Field(default_factory=list)
    """The tool loop so far, after the inputs: the model's tool calls and their results
    (OpenAI chat format)."""
    tools_enabled: bool = True
    """False on the tool loop's last turn: the model must answer."""
    stream: StreamTarget | None = None
    """Set when the run wants the text as it is written (someone watches it)."""
    spend: SpendTerms | None = None
    """The run's spend windows (catalog ``policy: spend``): reserved before the request is
    sent, settled after (``activities/spend.py``). None: the run spends under none."""

    @property
    def deadline_s(self) -> float:
        """Seconds the provider has to answer this call."""
        return self.timeout_s or self.agent.timeout_s


class AgentResult(Contract):
    """Output of the ``run_agent`` activity."""

    output: Any = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    provider: str = ""
    model: str = ""
    """Model that actually answered (as the provider reported it)."""
    offline: bool = False
    """True when the answer came from the offline scripted model."""
    finish_reason: str | None = None
    attempt: int = 1
    """Provider attempt that produced this result (1 = first try)."""
    worker_retries: int = 0
    """Times this attempt was started again because a worker died or lost it."""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """The tools the model asked to call (then ``output`` is None)."""
    text: str | None = None
    """What the model said beside its tool calls (shown to whoever approves them)."""
    guarded: list[str] = Field(default_factory=list)
    """What the agent's guard did to this call (``masked email ×1 in its input``): kinds
    and places, never values."""


class FailureDetails(BaseModel):
    """The details a run or call failure carries (its ``ApplicationError.details[0]``)."""

    model_config = ConfigDict(extra="ignore")

    step: str | None = None
    """The step that failed."""
    error_type: str | None = None
    """The class of the failure underneath (e.g. the agent call's)."""
    attempt: int | None = None
    """The provider attempt that failed (agent calls)."""
    status: int | None = None
    """HTTP status of a provider's answer."""
    retry_after_s: float | None = None
    usage: dict[str, int] | None = None
    """Tokens a failed call was still billed for (``Usage`` fields)."""
    cost_usd: float | None = None
    content: str | None = None
    """The answer that failed its schema (for a repair round)."""
    errors: list[str] | None = None
    """Its validation errors."""
    value: Any = None
    """The value that matched no route case."""
    item: int | None = None
    """The index of the map item that failed."""
    guard: GuardTrip | None = None
    """What tripped a guard (``GuardTripped``): kinds, places and its ``on_trip``."""

    def billed(self) -> Usage | None:
        """The usage a failed call was still billed for (an answer that failed its schema
        was paid for), or None."""
        return Usage.model_validate(self.usage) if self.usage else None

    @classmethod
    def of(cls, failure: BaseException | dict[str, Any] | None) -> FailureDetails:
        """The details of ``failure`` (an ``ApplicationError``, or an activity/child error
        whose cause is one, or an error's own details dict); empty when it carries none."""
        if isinstance(failure, dict):
            return cls.model_validate(failure)
        seen = 0
        while failure is not None and not isinstance(failure, ApplicationError) and seen < 8:
            failure = getattr(failure, "cause", None)
            seen += 1
        details = getattr(failure, "details", None) or ()
        if details and isinstance(details[0], dict):
            return cls.model_validate(details[0])
        return cls()
