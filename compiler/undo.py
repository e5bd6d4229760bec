"""A tool's ``compensate:`` checked against the undo tool's arguments (compile time).

    compensate: delete_booking                # called with the call's own arguments
    compensate:
      tool: delete_entities                   # arguments of its own, from the call
      with: {entityNames: "[arguments.name]", reason: "'run failed'"}

``with:`` values are JMESPath expressions over the completed call — ``arguments`` (what
the model called it with) and ``result`` (what it answered) — like a step's ``with:``
over the run; other values are taken as they are. The names must be the undo's
arguments and cover the ones it requires; without ``with:`` the undo must require
nothing the call lacks. A mismatch is a compile problem, not an undo that fails when the
run is already failing.
"""

from __future__ import annotations

from typing import Any, Literal

from podium.activities.tool_contracts import ToolSpec
from podium.compiler.catalog_tools import ToolCompensateEntry
from podium.compiler.problems import Reporter, suggest
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.expressions import ExpressionError, fields_read, literal

ROOTS = ("arguments", "result")
"""What an undo's ``with:`` expressions read: the completed call."""
HINT = (
    "values are JMESPath over the completed call, e.g. arguments.name, [arguments.name] "
    "or result.id; quote plain text as \"'text'\""
)


def undo_name(compensate: str | ToolCompensateEntry | None) -> str | None:
    """The undo tool ``compensate:`` names."""
    return compensate if isinstance(compensate, str | None) else compensate.tool


def undo_arguments(
    report: Reporter,
    name: str,
    compensate: str | ToolCompensateEntry,
    tool: ToolSpec,
    undo: ToolSpec,
    doc: YamlDocument,
    loc: Loc,
) -> dict[str, str] | None | Literal[False]:
    """The undo's ``with:`` as expressions (None: the call's own arguments); False, with
    problems recorded, if it does not fit ``undo``'s parameters."""
    loc = loc + ("compensate",)
    needed = set(undo.parameters.get("required") or [])
    if isinstance(compensate, str) or compensate.with_ is None:
        given = _names(tool)
        missing = sorted(needed - given) if given is not None else []
        if missing:
            report.problem(
                doc,
                loc,
                f"tool {name!r}: its undo {undo.name!r} needs {', '.join(missing)}, which "
                f"calls of {name!r} do not have",
                f"say how to fill it from the call: compensate: {{tool: {undo.name}, with: "
                f"{{{missing[0]}: <expression over arguments and result>}}}}",
            )
            return False
        return None
    ok, out, misnamed = True, {}, False
    accepted = _names(undo)
    for argument, value in compensate.with_.items():
        where = loc + ("with", argument)
        if accepted is not None and argument not in accepted:
            report.problem(
                doc,
                where,
                f"tool {name!r}: compensate: {argument!r} is not an argument of {undo.name!r}",
                suggest(argument, accepted, f"arguments of {undo.name!r}"),
            )
            ok, misnamed = False, True
        elif not isinstance(value, str):
            out[argument] = literal(value)
        elif _expression(report, name, tool, value, doc, where):
            out[argument] = value
        else:
            ok = False
    missing = sorted(needed - set(compensate.with_))
    if missing and not misnamed:  # (a misspelt name is told once, with its fix)
        report.problem(
            doc,
            loc + ("with",),
            f"tool {name!r}: compensate: with: lacks {', '.join(missing)}, which "
            f"{undo.name!r} requires",
            f"add {missing[0]}: <expression>; {HINT}",
        )
        ok = False
    return out if ok else False


def _expression(
    report: Reporter, name: str, tool: ToolSpec, value: str, doc: YamlDocument, where: Loc
) -> bool:
    """Whether ``value`` parses and reads only the call (and arguments the tool has)."""
    try:
        roots, named = fields_read(value, ROOTS)
    except ExpressionError as exc:
        report.problem(doc, where, f"tool {name!r}: compensate: {exc}", HINT)
        return False
    stray = sorted(roots - set(ROOTS))
    if stray:
        report.problem(
            doc,
            where,
            f"tool {name!r}: compensate: {value!r} reads {stray[0]!r}; an undo's arguments "
            "read only the completed call's arguments and result",
            HINT,
        )
        return False
    given = _names(tool)
    unknown = sorted(named["arguments"] - given) if given is not None else []
    if unknown:
        report.problem(
            doc,
            where,
            f"tool {name!r}: compensate: {value!r} reads arguments.{unknown[0]}, which is "
            f"not an argument of {name!r}",
            suggest(unknown[0], given or [], f"arguments of {name!r}"),
        )
        return False
    return True


def _names(tool: ToolSpec) -> set[str] | None:
    """The argument names ``tool`` takes (None: any — its schema lists none, or allows
    more)."""
    schema: dict[str, Any] = tool.parameters
    properties = schema.get("properties")
    if not isinstance(properties, dict) or schema.get("additionalProperties") not in (
        None,
        False,
    ):
        return None
    return set(properties)
