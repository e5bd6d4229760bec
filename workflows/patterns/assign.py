"""Choosing an agent for a capability: requirements, then price, then current workload."""

from __future__ import annotations

from typing import Any

from podium.activities.contracts import AgentConfig

REQUIREMENTS = ("market", "language", "max_price")
"""What a capability step may require of its agent."""


def meets(agent: AgentConfig, key: str, value: Any) -> bool:
    """Whether ``agent`` satisfies one requirement (an agent that lists no markets or
    languages serves them all)."""
    if value is None:
        return True
    if key == "market":
        return not agent.markets or str(value).upper() in {m.upper() for m in agent.markets}
    if key == "language":
        return not agent.languages or str(value).lower() in {x.lower() for x in agent.languages}
    if key == "max_price":
        return price_of(agent) <= float(value)
    return False


def price_of(agent: AgentConfig) -> float:
    """USD per million tokens, input + output (how candidates are compared)."""
    return agent.price.input_per_mtok + agent.price.output_per_mtok


def eligible(candidates: list[AgentConfig], requirements: dict[str, Any]) -> list[AgentConfig]:
    """Candidates meeting every requirement, cheapest first (name breaks exact ties)."""
    fit = [a for a in candidates if all(meets(a, k, v) for k, v in requirements.items())]
    return sorted(fit, key=lambda a: (price_of(a), a.name))


def cheapest_tie(ranked: list[AgentConfig]) -> list[AgentConfig]:
    """The candidates sharing the best price (workload decides between them)."""
    return [a for a in ranked if price_of(a) == price_of(ranked[0])] if ranked else []
