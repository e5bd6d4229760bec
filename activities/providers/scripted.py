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
import re
from typing import Any

import jmespath
from podium.activities.contracts import AgentCall, Usage
from podium.activities.error_types import ERROR_TYPES
from podium.activities.errors import (
    OutputSchemaError,
    ProviderRejectedRequest,
    ProviderServerError,
)
from podium.activities.providers.prompt import build_messages, estimate_tokens
from podium.activities.providers.reply import ProviderReply
from podium.activities.streaming import TextSink, text_sink
from podium.activities.templates import render, render_value
from podium.activities.tool_contracts import ToolCall
from podium.activities.validation import parse_output, unoffered_tool_calls


async def complete(call: AgentCall) -> ProviderReply:
    """Answer ``call`` from the agent's script (after its latency / injected faults)."""
    agent = call.agent
    sink = text_sink()  # watched: the latency is spent writing the answer in pieces
    if agent.latency_s > 0 and sink is None:
        await asyncio.sleep(agent.latency_s)
    faults = agent.faults
    if faults and faults.fail_times and call.attempt <= faults.fail_times:
        error_cls = ERROR_TYPES.get(faults.error, ProviderServerError)
        raise error_cls(f"{faults.message} (scripted fault, attempt {call.attempt})")
    scope = _scope(call)
    calls = _scripted_tool_calls(call, scope)
    prompt = "".join(str(m.get("content") or "") for m in build_messages(call))
    if calls and not agent.tools:  # as a real model's answer would be: invalid
        error = unoffered_tool_calls(calls, None, agent.name, agent.output_schema)
        error.details["usage"] = Usage(input_tokens=estimate_tokens(prompt)).model_dump()
        raise error
    if calls:
        if sink is not None:
            await asyncio.sleep(agent.latency_s)
        spoken = json.dumps([c.model_dump() for c in calls], ensure_ascii=False)
        return ProviderReply(
            output=None,
            model=f"scripted:{agent.name}",
            usage=Usage(
                input_tokens=estimate_tokens(prompt), output_tokens=estimate_tokens(spoken)
            ),
            finish_reason="tool_calls",
            offline=True,
            tool_calls=calls,
        )
    output = _scripted_output(call, scope)
    content = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    usage = Usage(input_tokens=estimate_tokens(prompt), output_tokens=estimate_tokens(content))
    if sink is not None:
        await write_paced(sink, content, agent.latency_s)
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


async def write_paced(sink: TextSink, text: str, seconds: float) -> None:
    """Write ``text`` to ``sink`` word by word, spread over ``seconds``."""
    pieces = re.findall(r"\s*\S+", text) or [text]
    for piece in pieces:
        await asyncio.sleep(seconds / len(pieces))
        sink.write(piece)
    if "".join(pieces) != text:  # trailing spaces
        sink.write(text[len("".join(pieces)) :])


def _scope(call: AgentCall) -> dict[str, Any]:
    """What a rule's ``when`` and templates see: the inputs; on a repair round, also
    ``repair`` (``{previous, errors}``: the invalid answer and what was wrong with it); in
    a tool loop, also ``tool_results`` (tool name → its last result) and ``turn`` (1, 2, …)."""
    if call.repair is not None:
        repair = {"previous": call.repair.previous, "errors": call.repair.errors}
        return {**call.inputs, "repair": repair}
    if not call.agent.tools:
        return call.inputs
    names = {
        c["id"]: c["function"]["name"] for m in call.messages for c in m.get("tool_calls") or []
    }
    results = {}
    for message in call.messages:
        if message.get("role") == "tool":
            try:
                content = json.loads(message.get("content") or "null")
            except ValueError:
                content = message.get("content")
            results[names.get(message.get("tool_call_id"), "?")] = content
    turn = 1 + sum(1 for m in call.messages if m.get("role") == "assistant")
    return {**call.inputs, "tool_results": results, "turn": turn}


def _scripted_tool_calls(call: AgentCall, scope: dict[str, Any]) -> list[ToolCall]:
    if not call.tools_enabled:
        return []
    for rule in call.agent.script:
        if rule.when is None or jmespath.search(rule.when, scope):
            if rule.tool_calls is None:
                return []
            turn = scope.get("turn", 1)
            return [
                ToolCall(
                    id=f"call_{turn}_{i}",
                    name=str(c.get("name", "")),
                    arguments=_render(c.get("arguments") or {}, scope, typed=True),
                )
                for i, c in enumerate(rule.tool_calls)
            ]
    return []


def _scripted_output(call: AgentCall, scope: dict[str, Any]) -> Any:
    for rule in call.agent.script:
        if rule.tool_calls is not None:
            continue  # (only when tools may not be called: the last turn)
        if rule.when is None or jmespath.search(rule.when, scope):
            if rule.fail is not None:
                raise ProviderRejectedRequest(render(rule.fail, scope) + " (scripted)")
            return _render(rule.output, scope, typed=bool(call.agent.tools))
    if call.agent.output_schema is None:
        return f"[offline {call.agent.name}] " + json.dumps(call.inputs, sort_keys=True)[:200]
    return synthesise(call.agent.output_schema)


def _render(value: Any, inputs: dict[str, Any], typed: bool = False) -> Any:
    """Render the templates in ``value``. ``typed`` (the scripts of agents with tools): a
    string that is exactly one ``{{ expression }}`` keeps the expression's type, so tool
    arguments and answers can be numbers, booleans or objects."""
    if isinstance(value, str):
        return render_value(value, inputs) if typed else render(value, inputs)
    if isinstance(value, dict):
        return {k: _render(v, inputs, typed) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, inputs, typed) for v in value]
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
