"""The offline scripted model: deterministic, rule-driven, with latency and faults.

It is the default when no provider key is configured and the test double at the
model's edge. Each answer is labelled ``offline`` so nobody mistakes it for a real
model's. Rules are tried in order: the first whose ``when`` (JMESPath over the call's
inputs) is truthy gives the output; strings in it may echo inputs with ``{{ name }}``.
With no matching rule, a schema-valid output is synthesised from the output schema.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jmespath
from podium.activities.contracts import AgentCall, Usage
from podium.activities.errors import (
    ERROR_TYPES,
    OutputSchemaError,
    ProviderRejectedRequest,
    ProviderServerError,
)
from podium.activities.providers.prompt import build_messages, estimate_tokens
from podium.activities.providers.reply import ProviderReply
from podium.activities.templates import render
from podium.activities.validation import parse_output


async def complete(call: AgentCall) -> ProviderReply:
    """Answer ``call`` from the agent's script (after its latency / injected faults)."""
    agent = call.agent
    if agent.latency_s > 0:
        await asyncio.sleep(agent.latency_s)
    faults = agent.faults
    if faults and faults.fail_times and call.attempt <= faults.fail_times:
        error_cls = ERROR_TYPES.get(faults.error, ProviderServerError)
        raise error_cls(f"{faults.message} (scripted fault, attempt {call.attempt})")
    output = _scripted_output(call)
    content = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    prompt = "".join(m["content"] for m in build_messages(call))
    usage = Usage(input_tokens=estimate_tokens(prompt), output_tokens=estimate_tokens(content))
    try:
        # Round-trip through the same parser as real providers: scripts that break the
        # agent's schema fail the same way a real model would (and are "billed" alike).
        if agent.output_schema:
            output = parse_output(content, agent.output_schema)
    except OutputSchemaError as exc:
        exc.details["usage"] = usage.model_dump()
        raise
    return ProviderReply(
        output=output,
        model=f"scripted:{agent.name}",
        usage=usage,
        finish_reason="stop",
        offline=True,
    )


def _scripted_output(call: AgentCall) -> Any:
    for rule in call.agent.script:
        if rule.when is None or jmespath.search(rule.when, call.inputs):
            if rule.fail is not None:
                raise ProviderRejectedRequest(render(rule.fail, call.inputs) + " (scripted)")
            return _render(rule.output, call.inputs)
    if call.agent.output_schema is None:
        return f"[offline {call.agent.name}] " + json.dumps(call.inputs, sort_keys=True)[:200]
    return synthesise(call.agent.output_schema)


def _render(value: Any, inputs: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return render(value, inputs)
    if isinstance(value, dict):
        return {k: _render(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, inputs) for v in value]
    return value


def synthesise(schema: dict[str, Any], name: str = "value") -> Any:
    """A deterministic value that validates against a (common subset of) JSON Schema."""
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return synthesise(schema[key][0], name)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: synthesise(sub, key) for key, sub in props.items()}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [synthesise(schema.get("items", {}), name) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = f"sample {name}"
    min_len = int(schema.get("minLength", 0))
    return text.ljust(min_len, "…") if len(text) < min_len else text
