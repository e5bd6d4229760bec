"""The agent catalog language (YAML): providers and agents, validated strictly.

    providers:
      openai: {base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY}
    agents:
      legal-analyst:
        description: Reviews deal terms for legal exposure.
        capabilities: [legal-review]
        model: openai:gpt-4o-mini      # provider:model | scripted | function:module:callable
        instructions: "You are a corporate lawyer…"
        output: {type: object, required: [severity], properties: {…}}
        timeout: 60s
        retry: {max_attempts: 3}
        price: {input_per_mtok: 0.15, output_per_mtok: 0.60}
        script: [{when: "contains(terms, 'data')", output: {severity: high}}]

Tools are shared definitions agents list by name (``tools:`` on an agent):

    tools:
      fx_rate:
        description: Today's exchange rate between two currencies.
        function: samples.tools:fx_rate         # a Python callable on the worker
      holidays:
        http: {method: GET, url: "https://api.example.com/holidays/{country}",
               auth_env: HOLIDAYS_TOKEN}
        parameters: {type: object, required: [country], properties: {country: {type: string}}}
      time:
        mcp: {command: [python, -m, mcp_server_time], tool: get_current_time}
      send_quote:
        function: samples.tools:send_quote
        side_effects: true
        approval: {approvers: [deal-desk]}      # a person approves each call, with its arguments
    agents:
      quoter: {model: openai:gpt-4o-mini, tools: [fx_rate, holidays, send_quote], max_turns: 6}

Unknown keys are errors, so a typo never silently becomes a default.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from podium.activities import env_template
from podium.activities.contracts import (
    BUILTIN_PROVIDERS,
    DEFAULT_REPAIR_ATTEMPTS,
    CircuitSettings,
    ProviderConfig,
)
from podium.compiler.catalog_guards import GuardEntry
from podium.compiler.catalog_policy import PolicyEntry
from podium.compiler.catalog_tools import ToolEntry
from podium.compiler.entries import Duration, RetryEntry, Strict, check_duration
from podium.workflows.durations import parse_duration
from pydantic import Field, field_validator

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PriceEntry(Strict):
    """USD per million tokens."""

    input_per_mtok: float = Field(0.0, ge=0)
    output_per_mtok: float = Field(0.0, ge=0)


class ScriptRuleEntry(Strict):
    """Scripted-model rule: ``when`` (JMESPath over the inputs) → ``output``."""

    when: str | None = None
    output: Any = None
    fail: str | None = Field(None, description="Refuse (permanently) with this message.")
    tool_calls: list[dict[str, Any]] | None = Field(
        None,
        description="Call these tools ({name, arguments}) instead; when: also sees "
        "tool_results (name → result) and turn.",
    )


class FaultEntry(Strict):
    """Scripted-model fault injection."""

    fail_times: int = Field(0, ge=0)
    error: str = "ProviderServerError"
    message: str = "injected fault"


class CircuitEntry(Strict):
    """Circuit breaker of a provider (per worker process)."""

    error_rate: float = Field(0.5, gt=0, le=1)
    window: Duration = "60s"
    min_calls: int = Field(10, ge=1)
    open_for: Duration = "30s"

    _durations = field_validator("window", "open_for")(check_duration)


class ProviderEntry(Strict):
    """An OpenAI-compatible provider endpoint."""

    kind: Literal["openai"] = "openai"
    base_url: str = Field(
        description="URL of the OpenAI-compatible API. ${VAR} and ${VAR:-default} are "
        "expanded on the worker, from its environment, at call time."
    )
    api_key_env: str | None = Field(
        None, description="Name of the worker's environment variable holding the key."
    )
    structured_output: Literal["json_schema", "json_object", "none"] = "json_schema"
    requests_per_second: float | None = Field(None, gt=0)
    max_concurrency: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(
        None, ge=1, description="Enforced across all workers before each call (leases)."
    )
    tokens_burst: int | None = Field(
        None, ge=1, description="Most tokens lent at once (default: tokens_per_minute)."
    )
    circuit: CircuitEntry | None | Literal[False] = Field(
        None, description="Circuit breaker settings (default on); false turns it off."
    )

    @field_validator("base_url")
    @classmethod
    def _base_url_template(cls, value: str) -> str:
        if (wrong := env_template.problem(value)) is not None:
            raise ValueError(f"malformed ${{…}}: {wrong}")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _key_variable_name(cls, value: str | None) -> str | None:
        if value is not None and "$" in value:
            named = env_template.variables(value) or ["OPENAI_API_KEY"]
            raise ValueError(
                f"api_key_env is the name of a variable, not a template: write {named[0]} "
                f"instead of {value!r} (a worker's own catalog may name another variable)"
            )
        return value


def provider_config(name: str, entry: ProviderEntry) -> ProviderConfig:
    """The runtime form of a catalog provider (durations parsed, circuit defaulted)."""
    data = entry.model_dump(exclude={"circuit"})
    if entry.circuit is False:
        circuit = None
    else:
        spec = entry.circuit or CircuitEntry()
        circuit = CircuitSettings(
            error_rate=spec.error_rate,
            window_s=parse_duration(spec.window),
            min_calls=spec.min_calls,
            open_s=parse_duration(spec.open_for),
        )
    return ProviderConfig(name=name, circuit=circuit, **data)


class AgentEntry(Strict):
    """One agent of the catalog."""

    description: str = ""
    capabilities: list[str] = Field(default_factory=list)
    markets: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    model: str = "scripted"
    instructions: str = ""
    output: dict[str, Any] | None = Field(None, description="JSON Schema of the output.")
    timeout: Duration = "60s"
    heartbeat: Duration = "5s"
    retry: RetryEntry = Field(default_factory=RetryEntry)
    fallback: list[str] = Field(default_factory=list)
    price: PriceEntry = Field(default_factory=PriceEntry)
    side_effects: bool = Field(
        False, description="The agent changes the world; steps using it may declare compensate:."
    )
    undo: str | None = Field(
        None,
        description="The agent (of this catalog) that undoes this one's effect. A step's "
        "compensate: must call it, and only then does it stand in for an approval under "
        "policy: approve_side_effects.",
    )
    fast: bool = Field(
        False,
        description="Answers in well under a second: each call's first attempt runs as a "
        "local activity on the orchestration worker (far less server work), for at most "
        "10s; on any failure, or when it runs over, the call is retried as a regular "
        "activity with the same idempotency key. Not for providers with limits.",
    )
    max_output_tokens: int = Field(1024, ge=1)
    repair_attempts: int = Field(
        DEFAULT_REPAIR_ATTEMPTS,
        ge=0,
        le=5,
        description="Re-asks (with the validation errors) after an invalid answer.",
    )
    max_error_rate: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Above this share of failed calls (over error_window, at least 5 calls) "
        "the agent fails fast for 30s so fallbacks take over.",
    )
    error_window: Duration = "60s"
    script: list[ScriptRuleEntry] = Field(default_factory=list)
    latency: Duration | None = None
    faults: FaultEntry | None = None
    tools: list[str] = Field(
        default_factory=list, description="Tools (from the catalog's tools:) it may call."
    )
    max_turns: int = Field(
        8,
        ge=1,
        le=100,
        description="Model turns of a step's tool loop (the last cannot call tools).",
    )
    tool_choice: str | None = Field(
        None,
        description="Whether the model must call a tool on each turn that offers tools: "
        "auto (it decides), required (it must call one), none (it may not), or one of its "
        "tools' names (it must call that one). Sent to OpenAI-compatible providers; "
        "default: the provider's (auto).",
    )

    guard: GuardEntry | None = Field(
        None,
        description="Checks on what its provider is sent and on its answer: personal data "
        "masked, redacted or blocked; prompt injection in its inputs and tools' results "
        "(docs/guards.md).",
    )

    _durations = field_validator("timeout", "heartbeat", "error_window")(check_duration)

    @field_validator("latency")
    @classmethod
    def _latency(cls, value: Duration | None) -> Duration | None:
        if value in (None, 0, "0", "0s"):
            return None
        return check_duration(value)


class CatalogFile(Strict):
    """An agent catalog file (or the inline ``agents:`` mapping of a spec)."""

    policy: PolicyEntry | None = Field(
        None, description="Rules for every spec using this catalog (budgets, approvals)."
    )
    providers: dict[str, ProviderEntry] = Field(default_factory=dict)
    tools: dict[str, ToolEntry] = Field(
        default_factory=dict, description="Tools agents may list (function, http or mcp)."
    )
    agents: dict[str, AgentEntry] = Field(default_factory=dict)

    @field_validator("agents", "providers", "tools")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not NAME.match(name):
                raise ValueError(f"name {name!r} may use only letters, digits, '-', '_' and '.'")
        return value

    @field_validator("providers")
    @classmethod
    def _no_builtin_override(cls, value: dict[str, Any]) -> dict[str, Any]:
        for builtin in BUILTIN_PROVIDERS:
            if builtin in value:
                raise ValueError(f"provider name {builtin!r} is built in; choose another name")
        return value
