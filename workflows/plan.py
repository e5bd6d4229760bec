"""The compiled ``Plan``: the only input of the interpreter workflow.

A plan is self-contained (every agent resolved, every expression checked, every
sub-workflow's plan embedded), so a run's exact definition is in its history and
needs no file at run time. Nodes form a tree; top-level nodes also form a DAG
through ``needs``. Each node is of a registered step kind (``workflows/kinds/``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from activities.contracts import AgentConfig, Contract
from workflows.kinds.base import (
    Budget,
    Deadline,
    Node,
    NodeBase,
    asks_people,
    children,
    kind_of,
    node_label,
    tracked,
    walk,
)


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
            for agent in (
                getattr(node, "agent", None),
                *getattr(node, "candidates", []),
                *getattr(node, "fallbacks", []),
            ):
                if isinstance(agent, AgentConfig):
                    found.setdefault(agent.name, agent)
        return found


class RunInput(Contract):
    """Input of the interpreter workflow."""

    plan: Plan
    input: dict[str, Any] = Field(default_factory=dict)


__all__ = [
    "Budget",
    "Deadline",
    "Node",
    "NodeBase",
    "Plan",
    "RunInput",
    "asks_people",
    "children",
    "kind_of",
    "node_label",
    "tracked",
    "walk",
]

# The built-in kinds register themselves; last, because sub-workflow nodes hold a Plan.
import workflows.kinds.all  # noqa: E402, F401, I001
