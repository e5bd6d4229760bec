"""The catalog's ``guard:`` entries on agents and tools (``compiler.guards`` compiles them
into the plan's ``GuardSettings``; docs/guards.md)."""

from __future__ import annotations

from podium.activities.guards.settings import PII_KINDS, OnTrip, PiiAction
from podium.compiler.entries import Strict
from pydantic import Field


class PiiEntry(Strict):
    """Personal data in what passes: what to look for and what to do with it."""

    pii: PiiAction = Field(
        "mask",
        description="mask (keep a recognisable shape: S****567D), redact ([SG_NRIC]) or "
        "block (trip the guard: nothing is sent on).",
    )
    kinds: list[str] | None = Field(
        None, description="Which kinds (default: all): " + ", ".join(PII_KINDS) + "."
    )
    on_trip: OnTrip | None = Field(None, description="What a block does (default: the guard's).")


class InjectionEntry(Strict):
    """Prompt injection in tool results (and an agent's inputs)."""

    rules: bool = Field(True, description="Podium's rules (phrases, role markers, hidden text).")
    classifier: str | None = Field(
        None,
        description="An agent asked about each tool result after the rules passed it; it "
        'answers {"injection": true|false, "reason": "…"}.',
    )
    on_trip: OnTrip | None = Field(None, description="What a finding does (default: the guard's).")


class GuardEntry(Strict):
    """Checks on what goes into and comes out of an agent or a tool."""

    input: PiiEntry | PiiAction | None = Field(
        None,
        description="An agent: what its provider is sent (inputs, the tool loop). A tool: "
        "its arguments. A word (mask, redact, block) checks every kind.",
    )
    output: PiiEntry | PiiAction | None = Field(
        None, description="An agent: its answer, before it is stored. A tool: its result."
    )
    injection: InjectionEntry | bool | None = Field(
        None,
        description="Screen for prompt injection: a tool's result; an agent's inputs and "
        "its tools' results (true: the rules alone).",
    )
    on_trip: OnTrip = Field(
        "fail",
        description="fail the step (its on_error then applies) or escalate to a person "
        "(retry with edited inputs, supply the output, skip, abort).",
    )
    escalate_to: list[str] = Field(
        default_factory=list,
        description="Who decides an escalated trip (default: the step's escalate_to).",
    )
