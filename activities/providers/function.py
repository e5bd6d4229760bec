"""Plain Python function agents (rules engines, calculators, tools).

The agent's ``model`` is ``package.module:callable``; the callable receives the step's
inputs as keyword-free dict and returns the output (sync or async), or yields its answer
as text in pieces (a generator, sync or async), which a watched run streams as they come.
It is imported on the worker, so the module must be importable there.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from podium.activities.contracts import AgentCall
from podium.activities.errors import AgentFunctionError, OutputSchemaError, ProviderNotConfigured
from podium.activities.providers.reply import ProviderReply
from podium.activities.streaming import text_sink
from podium.activities.validation import parse_output, schema_errors, schema_summary


async def _written(pieces: Any) -> str:
    """The text a generator function writes piece by piece (streamed if watched)."""
    sink = text_sink()
    text: list[str] = []
    if inspect.isasyncgen(pieces):
        async for piece in pieces:
            text.append(str(piece))
            if sink is not None:
                sink.write(str(piece))
    else:
        for piece in pieces:
            text.append(str(piece))
            if sink is not None:
                sink.write(str(piece))
            await asyncio.sleep(0)  # (let the sink send between pieces)
    return "".join(text)


def load_function(path: str) -> Callable[..., Any]:
    """Import ``package.module:callable``; raise ``ProviderNotConfigured`` if impossible."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ProviderNotConfigured(f"function agent path {path!r} is not 'module:callable'")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ProviderNotConfigured(f"cannot import function agent {path!r}: {exc}") from None
    if not callable(target):
        raise ProviderNotConfigured(f"function agent {path!r} is not callable")
    return target  # type: ignore[no-any-return]


async def complete(call: AgentCall) -> ProviderReply:
    """Call the agent's Python function with the step's inputs."""
    fn = load_function(call.agent.model)
    written = False
    try:
        result = fn(dict(call.inputs))
        if inspect.isawaitable(result):
            result = await result
        if inspect.isasyncgen(result) or inspect.isgenerator(result):
            result, written = await _written(result), True
    except Exception as exc:  # a function agent's own failure: report, don't crash
        raise AgentFunctionError(f"{call.agent.model} raised {type(exc).__name__}: {exc}") from exc
    json.dumps(result, default=str)  # must be serialisable into history
    if written and call.agent.output_schema is not None:  # text, as a model's would be
        result = parse_output(result, call.agent.output_schema)
    elif call.agent.output_schema is not None:
        errors = schema_errors(result, call.agent.output_schema)
        if errors:
            raise OutputSchemaError(
                "function output does not match the output schema at "
                + schema_summary(result, call.agent.output_schema),
                errors=errors,
            )
    return ProviderReply(output=result, model=call.agent.model, finish_reason="stop")
