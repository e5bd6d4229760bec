"""A Python function as a tool: the JSON Schema of its arguments, from its type hints
(or from the pydantic model it takes) — read where the spec is compiled."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, create_model

SKIPPED = ("idempotency_key",)
"""Parameters Podium fills itself (not shown to the model)."""


def parameters_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """JSON Schema of ``fn``'s keyword arguments (``idempotency_key`` left out)."""
    signature = inspect.signature(fn)
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if name in SKIPPED or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, Any)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[name] = (annotation, default)
    model: type[BaseModel] = create_model(f"{fn.__name__}_arguments", **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    doc = inspect.getdoc(fn)
    if doc:
        schema["description"] = doc.split("\n\n")[0]
    return schema
