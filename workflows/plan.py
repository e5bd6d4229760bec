"""The compiled ``Plan``: the only input of the interpreter workflow.

A plan is self-contained (every agent resolved, every expression checked), so a
run's exact definition is in its history and needs no file at run time.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from activities.contracts import AgentConfig, Contract, RetrySettings


class PlanStep(Contract):
    """One agent step of a plan."""

    id: str
    agent: AgentConfig
    inputs: dict[str, str] = Field(default_factory=dict)
    """Input name → JMESPath expression over ``{input, steps}``."""
    timeout_s: float
    retry: RetrySettings
    description: str = ""


class Plan(Contract):
    """A compiled spec."""

    name: str
    source: str = ""
    """Where the spec came from (file path), for people reading the history."""
    summary: str | None = None
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)
    steps: list[PlanStep]
    output: str | dict[str, str] | None = None
    """Expression (or mapping of expressions) for the run's final output."""
    warnings: list[str] = Field(default_factory=list)

    def agents_used(self) -> dict[str, AgentConfig]:
        """Agents by name, in step order."""
        return {step.agent.name: step.agent for step in self.steps}


class RunInput(Contract):
    """Input of the interpreter workflow."""

    plan: Plan
    input: dict[str, Any] = Field(default_factory=dict)
