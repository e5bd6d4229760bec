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
    messages += [_sendable(m) for m in call.messages]  # the tool loop so far
    if call.repair is not None:
        messages += repair_messages(call.repair.previous, call.repair.errors)
    return messages


def _sendable(message: dict[str, Any]) -> dict[str, Any]:
    """An assistant turn that only called tools says so with ``content: ""``, not
    ``null``: llama.cpp's server refuses ``null`` (runs in flight hold ``null``)."""
    if message.get("role") == "assistant" and message.get("content") is None:
        return {**message, "content": ""}
    return message


def repair_messages(previous: str, errors: list[str]) -> list[dict[str, Any]]:
    """The answer that failed its schema, and what was wrong with it."""
    return [
        {"role": "assistant", "content": previous},
        {
            "role": "user",
            "content": "Your answer does not validate against the JSON Schema:\n- "
            + "\n- ".join(errors)
            + "\nAnswer again with corrected JSON only.",
        },
    ]


def estimate_tokens(text: str) -> int:
    """Rough token count (≈4 characters per token) for offline models and budgets."""
    return max(1, (len(text) + 3) // 4)


def estimate_call(call: AgentCall) -> tuple[int, int]:
    """(prompt tokens, most output tokens) a call may use: what budgets reserve and the
    tokens-per-minute limiter leases before it is sent."""
    prompt = sum(4 + estimate_tokens(str(m.get("content") or m)) for m in build_messages(call))
    return prompt, call.agent.max_output_tokens


def tool_definitions(call: AgentCall) -> list[dict[str, Any]]:
    """The agent's tools as Chat Completions ``tools`` (none on the loop's last turn)."""
    if not call.tools_enabled:
        return []
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description or tool.name,
                "parameters": tool.parameters,
            },
        }
        for tool in call.agent.tools
    ]
