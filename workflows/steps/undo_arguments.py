"""The arguments an undo is called with: the completed call's own, or what the tool's
``compensate: {with: …}`` makes of its ``arguments`` and ``result``
(``compiler/undo.py`` checked the expressions when the spec was compiled)."""

from __future__ import annotations

from typing import Any

from podium.activities.tool_contracts import ToolSpec
from podium.workflows.expressions import evaluate


def undo_arguments(
    tool: ToolSpec, arguments: dict[str, Any], result: Any
) -> tuple[dict[str, Any], str | None]:
    """The undo's arguments for a call of ``tool`` (``result``: None when the outcome is
    unknown), and why they could not be formed (then the undo is recorded as failed)."""
    if tool.compensate_with is None:
        return dict(arguments), None
    scope = {"arguments": arguments, "result": result}
    out: dict[str, Any] = {}
    for name, expression in tool.compensate_with.items():
        try:
            out[name] = evaluate(expression, scope)
        except Exception as exc:  # noqa: BLE001 - JMESPath runtime errors (argument types)
            return {}, f"compensate: {name} = {expression!r} could not be evaluated: {exc}"
    return out, None
