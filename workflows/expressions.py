"""JMESPath expressions over the run state ``{input, steps, vars}``.

Deterministic and side-effect free, so the same helpers run in the compiler (to
check references) and inside workflows (to evaluate them).
"""

from __future__ import annotations

import json
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

ROOTS = ("input", "steps", "vars")
"""Names an expression may start from."""


class ExpressionError(ValueError):
    """An expression does not parse, or reads something it may not."""


def literal(value: Any) -> str:
    """A JMESPath literal expression for a constant (used for non-string ``with`` values)."""
    return "`" + json.dumps(value).replace("`", "\\`") + "`"


def parse(expression: str) -> Any:
    """Compile ``expression``; raise ``ExpressionError`` with the parser's reason."""
    try:
        return jmespath.compile(expression)
    except JMESPathError as exc:
        reason = str(exc).strip().splitlines()[0]
        raise ExpressionError(f"invalid JMESPath expression {expression!r}: {reason}") from None


def evaluate(expression: str, scope: dict[str, Any]) -> Any:
    """Evaluate ``expression`` against ``scope``."""
    return parse(expression).search(scope)


def references(expression: str) -> tuple[set[str], set[str]]:
    """Root names and step ids an expression reads.

    Returns ``(roots, step_ids)``: ``roots`` are the top-level names it reads
    (``input``, ``steps``, or a typo); ``step_ids`` the ids after ``steps.``.
    """
    roots: set[str] = set()
    steps: set[str] = set()
    _walk(parse(expression).parsed, True, roots, steps)
    return roots, steps


_RELATIVE_AFTER_FIRST = {
    "subexpression",
    "index_expression",
    "projection",
    "value_projection",
    "filter_projection",
    "flatten",
    "pipe",
}


def _walk(node: dict[str, Any], at_root: bool, roots: set[str], steps: set[str]) -> None:
    kind = node.get("type")
    children = node.get("children", [])
    if kind == "field":
        if at_root:
            roots.add(node["value"])
        return
    if kind == "expref":
        return  # evaluated against elements, not the root
    if kind == "subexpression" and at_root and len(children) >= 2:
        first, second = children[0], children[1]
        if first.get("type") == "field" and first["value"] == "steps":
            if second.get("type") == "field":
                steps.add(second["value"])
            elif second.get("type") == "index_expression":
                inner = second["children"][0]
                if inner.get("type") == "field":
                    steps.add(inner["value"])
    if kind in _RELATIVE_AFTER_FIRST:
        for i, child in enumerate(children):
            _walk(child, at_root and i == 0, roots, steps)
        return
    for child in children:
        _walk(child, at_root, roots, steps)
