"""The chat messages Podium sends for an agent call."""

from __future__ import annotations

import json
from typing import Any

from podium.activities.contracts import AgentCall


def build_messages(call: AgentCall) -> list[dict[str, Any]]:
    """System message = the agent's instructions (+ the JSON contract); user = the inputs."""
    agent = call.agent
    system = agent.instructions.strip() or f"You are {agent.name}."
    if agent.output_schema is not None:
        system += (
            "\n\nAnswer with a single JSON value that validates against this JSON Schema, "
            "and nothing else:\n" + json.dumps(agent.output_schema, sort_keys=True)
        )
    user = json.dumps(call.inputs, ensure_ascii=False, sort_keys=True, default=str)
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    if call.repair is not None:
        messages += [
            {"role": "assistant", "content": call.repair.previous},
            {
                "role": "user",
                "content": "Your answer does not validate against the JSON Schema:\n- "
                + "\n- ".join(call.repair.errors)
                + "\nAnswer again with corrected JSON only.",
            },
        ]
    return messages


def estimate_tokens(text: str) -> int:
    """Rough token count (≈4 characters per token) for offline models and budgets."""
    return max(1, (len(text) + 3) // 4)


def estimate_call(call: AgentCall) -> tuple[int, int]:
    """(prompt tokens, most output tokens) a call may use: what budgets reserve and the
    tokens-per-minute limiter leases before it is sent."""
    prompt = sum(4 + estimate_tokens(str(m["content"])) for m in build_messages(call))
    return prompt, call.agent.max_output_tokens
