"""Contracts of agents' tools: a tool as the plan pins it (``ToolSpec``, with its
``ToolApproval``), a call the model asks for (``ToolCall``), the ``run_tool`` activity's
input and output (``ToolCallInput``, ``ToolOutcome``) and the saga entry that undoes a
completed call (``ToolUndo``).

Durable like ``contracts``: written into workflow histories, so fields may be added
(optional, with defaults) but never renamed or removed.
"""

from __future__ import annotations

from typing import Any, Literal

from podium.activities.contract_base import Contract
from podium.activities.guards.settings import GuardSettings
from podium.activities.retry_settings import RetrySettings
from pydantic import Field


class ToolApproval(Contract):
    """A person approves each call of a side-effecting tool, with its arguments."""

    approvers: list[str] = Field(default_factory=list)
    """Names or groups (empty: anyone)."""
    timeout_s: float | None = None
    """How long to wait; then the call is refused (the model is told)."""


class ToolSpec(Contract):
    """A tool an agent may call, resolved from the catalog and pinned into the plan (an
    MCP server's tool list included): replay never asks a live server."""

    name: str
    description: str = ""
    kind: Literal["function", "http", "mcp"]
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    """JSON Schema of the arguments (checked before the call; a mismatch goes back to the
    model as an error)."""
    function: str | None = None
    """``module:callable`` (function tools), run on the worker."""
    method: str = "POST"
    url: str | None = None
    """HTTP tools: URL template; ``{name}`` is filled from the arguments (URL-quoted)."""
    auth_env: str | None = None
    """HTTP tools: the worker's environment variable holding the token (never the token)."""
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    mcp_command: list[str] | None = None
    """MCP tools: the server's stdio command."""
    mcp_url: str | None = None
    """MCP tools: the server's streamable HTTP URL."""
    mcp_tool: str | None = None
    """MCP tools: the tool's name on its server (``name`` may be prefixed)."""
    mcp_env: dict[str, str] | None = None
    """MCP stdio tools: variables the server is started with (``${VAR}`` templates,
    expanded on the worker)."""
    side_effects: bool = False
    approval: ToolApproval | None = None
    timeout_s: float = 30.0
    retry: RetrySettings = Field(
        default_factory=lambda: RetrySettings(max_attempts=3, max_elapsed_s=120.0)
    )
    price_usd: float = Field(0.0, ge=0)
    """What one call costs (counts against budgets)."""
    requests_per_second: float | None = None
    """Most calls per second across every worker: the tool's limiter (``tool:<name>``)."""
    fast: bool = False
    """Declared fast: a call's first attempt is a local activity (as for fast agents)."""
    compensate: ToolSpec | None = None
    """The tool that undoes a completed call when the run fails or is cancelled later (the
    saga)."""
    compensate_with: dict[str, str] | None = None
    """The undo's arguments: JMESPath expressions over ``{arguments, result}`` of the
    completed call (None: the call's own arguments)."""
    guard: GuardSettings | None = None
    """Checks on its arguments and its result (its own ``guard:``, or the injection check
    of the agent calling it; docs/guards.md)."""


class ToolUndo(Contract):
    """A completed side-effecting tool call to undo if the run fails: a saga entry."""

    kind: Literal["tool_undo"] = "tool_undo"
    step: str
    agent: str
    tool: ToolSpec
    """The compensating tool."""
    undoes: str
    """The tool whose call it undoes."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    """Why its arguments could not be formed (``compensate_with``): then it is recorded
    as a failed compensation, not called."""

    @property
    def id(self) -> str:
        return self.step


class ToolCall(Contract):
    """One tool call a model asked for."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolCallInput(Contract):
    """Input of the ``run_tool`` activity."""

    tool: ToolSpec
    arguments: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str = ""
    run_id: str = ""
    step_id: str = ""


class ToolOutcome(Contract):
    """Output of the ``run_tool`` activity: the result, or an error the model is told."""

    content: Any = None
    error: str | None = None
    """Set when the tool refused or failed in a way retrying cannot fix: the model reads
    it and may try something else."""
    latency_ms: float = 0.0
    guarded: list[str] = Field(default_factory=list)
    """What the tool's guard did to this call (``redacted phone ×2 in its result``)."""
