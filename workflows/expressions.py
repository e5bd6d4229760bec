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


def references(expression: str) -> tuple[set[str], set[str], set[str]]:
    """Root names, step ids and variable names an expression reads.

    Returns ``(roots, step_ids, var_names)``: ``roots`` are the top-level names it
    reads (``input``, ``steps``, ``vars``, or a typo); ``step_ids`` the names after
    ``steps.``; ``var_names`` those after ``vars.``.
    """
    roots, named = fields_read(expression, ("steps", "vars"))
    return roots, named["steps"], named["vars"]


def fields_read(expression: str, under: tuple[str, ...]) -> tuple[set[str], dict[str, set[str]]]:
    """The root names ``expression`` reads, and for each root in ``under`` the names it
    reads right below it (``arguments.name`` → ``name``)."""
    roots: set[str] = set()
    named: dict[str, set[str]] = {root: set() for root in under}
    tree = parse(expression).parsed
    _refuse_lone_negation(expression, tree)
    _walk(tree, True, roots, named)
    return roots, named


def _refuse_lone_negation(expression: str, node: dict[str, Any]) -> None:
    """``!steps.ok.output.approved`` negates ``steps`` alone — JMESPath reads it as
    ``(!steps).ok.output.approved``, which is always null — a trap, refused with the fix."""
    children = node.get("children", [])
    if node.get("type") == "subexpression" and children:
        first = children[0]
        inner = first.get("children", [])
        if first.get("type") == "not_expression" and inner and inner[0].get("type") == "field":
            root = inner[0]["value"]
            path = [root, *(c.get("value") for c in children[1:])]
            whole = ".".join(path) if all(isinstance(p, str) for p in path) else f"{root}.…"
            raise ExpressionError(
                f"in {expression!r}, '!' negates {root!r} alone (JMESPath reads "
                f"!{root}.… as (!{root}).…, which is always null): write !({whole})"
            )
    for child in children:
        if isinstance(child, dict):
            _refuse_lone_negation(expression, child)


_RELATIVE_AFTER_FIRST = {
    "subexpression",
    "index_expression",
    "projection",
    "value_projection",
    "filter_projection",
    "flatten",
    "pipe",
}


def _walk(node: dict[str, Any], at_root: bool, roots: set[str], named: dict[str, set[str]]) -> None:
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
        if first.get("type") == "field" and first["value"] in named:
            bucket = named[first["value"]]
            if second.get("type") == "field":
                bucket.add(second["value"])
            elif second.get("type") == "index_expression":
                inner = second["children"][0]
                if inner.get("type") == "field":
                    bucket.add(inner["value"])
    if kind in _RELATIVE_AFTER_FIRST:
        for i, child in enumerate(children):
            _walk(child, at_root and i == 0, roots, named)
        return
    for child in children:
        _walk(child, at_root, roots, named)
