"""Plain Python function agents (rules engines, calculators, tools).

The agent's ``model`` is ``package.module:callable``; the callable receives the step's
inputs as keyword-free dict and returns the output (sync or async). It is imported
on the worker, so the module must be importable there.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from podium.activities.contracts import AgentCall
from podium.activities.errors import AgentFunctionError, OutputSchemaError, ProviderNotConfigured
from podium.activities.providers.reply import ProviderReply
from podium.activities.validation import schema_errors, schema_summary


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
    try:
        result = fn(dict(call.inputs))
        if inspect.isawaitable(result):
            result = await result
    except Exception as exc:  # a function agent's own failure: report, don't crash
        raise AgentFunctionError(f"{call.agent.model} raised {type(exc).__name__}: {exc}") from exc
    json.dumps(result, default=str)  # must be serialisable into history
    if call.agent.output_schema is not None:
        errors = schema_errors(result, call.agent.output_schema)
        if errors:
            raise OutputSchemaError(
                "function output does not match the output schema at "
                + schema_summary(result, call.agent.output_schema),
                errors=errors,
            )
    return ProviderReply(output=result, model=call.agent.model, finish_reason="stop")
