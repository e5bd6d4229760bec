"""The settings of the built-in step kinds that hold no steps of their own: ``join:``
(its quorum), ``map:``, ``supervise:`` (and its team), ``approval:`` (and its escalation
chain) and an agent step's ``goto:``. ``route:`` and ``refine:`` hold steps, so they sit
beside ``StepEntry`` in ``compiler.spec``."""

from __future__ import annotations

from typing import Any, Literal

from podium.compiler.entries import Duration, Strict, check_duration
from pydantic import ConfigDict, Field, field_validator, model_validator


class QuorumEntry(Strict):
    """``join: {quorum: N}``: succeed once N branches succeed."""

    quorum: int = Field(ge=1)


class MapEntry(Strict):
    """``map:`` settings."""

    over: str = Field(description="Expression giving the list to map over.")
    as_: str = Field("item", alias="as", description="Name of the item in vars (vars.<as>).")
    max_concurrency: int = Field(10, ge=1, le=10_000)
    batch_size: int = Field(100, ge=1, le=1000, description="Items per child workflow.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MemberEntry(Strict):
    """A member of a ``supervise:`` team: one of agent, capability (+ require) or human."""

    agent: str | None = None
    capability: str | None = None
    require: dict[str, Any] = Field(
        default_factory=dict, description="With capability: market, language, max_price."
    )
    human: list[str] | None = Field(
        None,
        description="People who answer the manager's question (podium inbox / approve / "
        "resolve --supply); the run waits for them.",
    )
    description: str | None = Field(
        None, description="What the manager is told this member does (default: the agent's)."
    )
    timeout: Duration | None = Field(
        None, description="human members: how long to wait before the manager hears no answer."
    )

    _durations = field_validator("timeout")(check_duration)

    @model_validator(mode="after")
    def _one_kind(self) -> MemberEntry:
        kinds = [k for k in ("agent", "capability", "human") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a team member is exactly one of agent, capability or human; found: "
                + (", ".join(kinds) or "none")
            )
        return self


class SuperviseEntry(Strict):
    """``supervise:`` settings: a manager agent picks the next member each turn."""

    manager: str = Field(description="The agent that decides who works next (catalog name).")
    team: dict[str, MemberEntry] = Field(
        min_length=1, description="Member name → agent, capability or human."
    )
    task: str | None = Field(
        None, description="Expression: the goal the manager works towards (default: the input)."
    )
    with_: dict[str, Any] = Field(
        default_factory=dict, alias="with", description="More inputs for the manager."
    )
    until: str | None = Field(
        None,
        description="Expression over vars.last (the last turn: member, output, …) and "
        "vars.turn; true ends the supervision with the last member's output.",
    )
    max_turns: int = Field(10, ge=1, le=10_000, description="Most decisions (flagged when hit).")
    show_turns: int = Field(
        10, ge=0, le=200, description="How many recent turns the manager sees each turn."
    )
    show_chars: int = Field(
        2000, ge=50, le=100_000, description="Each output shown to the manager is cut to this."
    )
    max_failures: int = Field(
        3, ge=0, le=100, description="Member failures told to the manager before the step fails."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EscalationEntry(Strict):
    """One level of an escalation chain."""

    to: list[str] = Field(min_length=1, description="Who decides from this level on.")
    after: Duration = Field(description="How long the previous level waits.")

    _durations = field_validator("after")(check_duration)


class ApprovalEntry(Strict):
    """``approval:`` settings."""

    title: str = Field(
        description="Shown to approvers; may use {{ input.x }} / {{ steps.x.output }}."
    )
    details: str | None = Field(
        None, description="Expression whose value is shown with the request."
    )
    approvers: list[str] = Field(
        default_factory=list, description="Names or groups (empty: anyone)."
    )
    escalate: list[EscalationEntry] = Field(default_factory=list)
    timeout: Duration | None = Field(None, description="Wait of the last level before on_timeout.")
    on_timeout: Literal["approve", "reject", "fail"] = "reject"

    _durations = field_validator("timeout")(check_duration)


class GotoEntry(Strict):
    """``goto:`` on an agent step: the agent's answer may say which step runs next."""

    to: list[str] = Field(
        min_length=1,
        description="Top-level step ids the answer may name in its `goto` field, or end.",
    )
    max: int = Field(
        3, ge=1, le=100, description="Most jumps this step may make in one run (a loop's bound)."
    )
