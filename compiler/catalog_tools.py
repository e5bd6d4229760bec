"""The catalog's ``tools:`` — Python functions, HTTP endpoints and MCP servers agents may
call (``compiler.catalog`` has the rest of the catalog language)."""

from __future__ import annotations

from typing import Any, Literal

from podium.activities import env_template
from podium.compiler.catalog_guards import GuardEntry
from podium.compiler.entries import Duration, RetryEntry, Strict, check_duration
from pydantic import ConfigDict, Field, field_validator, model_validator


class HttpToolEntry(Strict):
    """An HTTP endpoint as a tool."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(description="URL; {name} is filled from the arguments of that name.")
    auth_env: str | None = Field(
        None, description="The worker's environment variable holding the token."
    )
    auth_header: str = "Authorization"
    auth_scheme: str = Field("Bearer", description="Put before the token ('' for none).")


class McpEntry(Strict):
    """A tool of a Model Context Protocol server (stdio command or streamable HTTP URL).
    Its tool list is read when the spec is compiled and pinned into the plan."""

    command: list[str] | None = Field(None, description="Start the server on stdio.")
    url: str | None = Field(None, description="The server's streamable HTTP endpoint.")
    tool: str | None = Field(None, description="The tool on that server (default: the key).")
    env: dict[str, str] | None = Field(
        None,
        description="Variables a stdio server is started with, beside PATH, HOME, USER, "
        "LOGNAME, SHELL and TERM (nothing else of the worker's environment reaches it). "
        "${VAR} and ${VAR:-default} are expanded where the server starts (the worker; the "
        "compiler, to list its tools), so write tokens as ${VAR}.",
    )

    @model_validator(mode="after")
    def _one_transport(self) -> McpEntry:
        if (self.command is None) == (self.url is None):
            raise ValueError("an MCP tool needs exactly one of command: or url:")
        if self.env is not None and self.command is None:
            raise ValueError("env: is for a server started with command: (not url:)")
        for name, value in (self.env or {}).items():
            if (wrong := env_template.problem(value)) is not None:
                raise ValueError(f"env: {name}: malformed ${{…}}: {wrong}")
        return self


class ToolApprovalEntry(Strict):
    """A person approves each call of the tool, seeing its arguments."""

    approvers: list[str] = Field(
        default_factory=list, description="Names or groups (empty: anyone)."
    )
    timeout: Duration | None = Field(
        None, description="Then the call is refused (the model is told)."
    )

    _durations = field_validator("timeout")(check_duration)


class ToolCompensateEntry(Strict):
    """The tool that undoes a completed call, and the arguments it is called with."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    tool: str = Field(description="A tool of tools: that undoes a completed call.")
    with_: dict[str, Any] | None = Field(
        None,
        alias="with",
        description="Its arguments: JMESPath expressions over the completed call's "
        'arguments and result (entityNames: "[arguments.name]", id: result.id; other '
        "values are taken as they are). Default: the call's own arguments.",
    )


def _tool_retry() -> RetryEntry:
    return RetryEntry(max_attempts=3, max_elapsed="2m")


class ToolEntry(Strict):
    """One tool. Exactly one of function / http / mcp."""

    description: str = ""
    function: str | None = Field(None, description="module:callable, run on the worker.")
    http: HttpToolEntry | None = None
    mcp: McpEntry | None = None
    parameters: dict[str, Any] | None = Field(
        None,
        description="JSON Schema of the arguments (default: from the function's type hints, "
        "or the MCP server's listing).",
    )
    side_effects: bool = Field(
        False, description="The tool changes the world: it needs approval: or compensate:."
    )
    approval: ToolApprovalEntry | None = None
    compensate: str | ToolCompensateEntry | None = Field(
        None,
        description="A tool (of tools:) that undoes a completed call if the run fails or "
        "is cancelled later: its name (called with the same arguments), or {tool: <name>, "
        "with: {<argument>: <expression>}} when its arguments differ.",
    )
    timeout: Duration = "30s"
    retry: RetryEntry = Field(default_factory=_tool_retry)
    price_usd: float = Field(0.0, ge=0, description="USD per call (counts against budgets).")
    requests_per_second: float | None = Field(
        None,
        gt=0,
        description="Most calls per second across every worker (a durable limiter, like a "
        "provider's); calls wait for their slot.",
    )
    fast: bool = Field(
        False,
        description="Answers in well under a second: each call's first attempt runs as a "
        "local activity on the orchestration worker, for at most 10s (else, or on a "
        "failure, a regular activity with the same idempotency key). Ignored with "
        "requests_per_second.",
    )

    guard: GuardEntry | None = Field(
        None,
        description="Checks on its arguments (input) and its result (output, injection) "
        "before the tool or the model sees them (docs/guards.md).",
    )

    _durations = field_validator("timeout")(check_duration)

    @model_validator(mode="after")
    def _one_kind(self) -> ToolEntry:
        kinds = [k for k in ("function", "http", "mcp") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a tool needs exactly one of function, http or mcp; found: "
                + (", ".join(kinds) or "none")
            )
        return self

    @property
    def kind(self) -> Literal["function", "http", "mcp"]:
        if self.function is not None:
            return "function"
        return "http" if self.http is not None else "mcp"
