"""Resolving a catalog's tools into pinned ``ToolSpec``s (compile time): a function's
argument schema from its type hints, an MCP server's tool from its live listing, and the
rules a tool must follow (a side-effecting tool needs approval)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podium.activities.errors import ProviderNotConfigured, ToolNotConfigured
from podium.activities.providers.function import load_function
from podium.activities.tool_contracts import ToolApproval, ToolSpec
from podium.compiler.catalog import AgentEntry
from podium.compiler.catalog_tools import ToolEntry
from podium.compiler.problems import Reporter, suggest
from podium.compiler.settings import check_schema, retry_settings
from podium.compiler.undo import undo_arguments, undo_name
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.durations import parse_duration


def resolve_tool(
    report: Reporter,
    name: str,
    entry: ToolEntry,
    doc: YamlDocument,
    loc: Loc,
    other: Callable[[str], ToolSpec | None] | None = None,
) -> ToolSpec | None:
    """The plan's form of tool ``name`` (None, with problems recorded, if it is wrong);
    ``other`` resolves the tool named by ``compensate:`` (None: an undo tool itself)."""
    ok = True
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        report.problem(
            doc,
            loc,
            f"tool name {name!r} is not one models accept",
            "use 1–64 letters, digits, '_' or '-' (OpenAI's rule for function names)",
        )
        ok = False
    if entry.side_effects and entry.approval is None and entry.compensate is None and other:
        report.problem(
            doc,
            loc + ("side_effects",),
            f"tool {name!r} has side effects but neither approval: nor compensate:",
            "add approval: {approvers: [<who>]} so a person approves each call and its "
            "arguments, or compensate: <tool> that undoes a call if the run fails (or drop "
            "side_effects: true if it only reads)",
        )
        ok = False
    undo: ToolSpec | None = None
    undoing = undo_name(entry.compensate)
    if undoing is not None and other is not None:
        undo = other(undoing)
        if undo is None:
            report.problem(
                doc,
                loc + ("compensate",),
                f"tool {name!r}: compensate: names {undoing!r}, which is not a usable tool "
                "of the catalog",
                "name a tool defined under tools:",
            )
            ok = False
    if entry.parameters is not None:
        before = len(report.problems)
        check_schema(
            report, doc, loc + ("parameters",), entry.parameters, f"tool {name!r}'s parameters"
        )
        ok &= len(report.problems) == before
    spec = ToolSpec(
        name=name,
        description=entry.description,
        kind=entry.kind,
        parameters=entry.parameters or {"type": "object"},
        side_effects=entry.side_effects,
        approval=(
            ToolApproval(
                approvers=entry.approval.approvers,
                timeout_s=parse_duration(entry.approval.timeout)
                if entry.approval.timeout
                else None,
            )
            if entry.approval
            else None
        ),
        timeout_s=parse_duration(entry.timeout),
        retry=retry_settings(entry.retry),
        price_usd=entry.price_usd,
        requests_per_second=entry.requests_per_second,
        fast=entry.fast,
        compensate=undo,
    )
    if entry.function is not None:
        spec.function = entry.function
        if entry.parameters is None:
            spec.parameters = _function_schema(report, name, entry.function, doc, loc) or {}
            ok &= bool(spec.parameters)
    elif entry.http is not None:
        from podium.compiler.http import check_http_tool

        ok &= check_http_tool(report, name, entry.http, entry.parameters, doc, loc)
        spec.method, spec.url = entry.http.method, entry.http.url
        spec.auth_env = entry.http.auth_env
        spec.auth_header, spec.auth_scheme = entry.http.auth_header, entry.http.auth_scheme
    elif entry.mcp is not None:
        from podium.compiler.mcp import pin_mcp_tool

        pinned = pin_mcp_tool(report, name, entry, doc, loc)
        if pinned is None:
            return None
        spec = spec.model_copy(update=pinned)
    if undo is not None and entry.compensate is not None:
        mapping = undo_arguments(report, name, entry.compensate, spec, undo, doc, loc)
        ok &= mapping is not False
        spec.compensate_with = mapping if mapping is not False else None
    return spec if ok else None


TOOL_CHOICES = ("auto", "required", "none")


def check_tool_choice(
    report: Reporter, name: str, entry: AgentEntry, doc: YamlDocument, loc: Loc
) -> None:
    """An agent's ``tool_choice:`` is a mode or one of its own tools."""
    choice = entry.tool_choice
    if choice is None or (choice in TOOL_CHOICES and entry.tools):
        return
    if not entry.tools:
        report.problem(
            doc,
            loc + ("tool_choice",),
            f"agent {name!r} has tool_choice: {choice} but no tools",
            "list the tools it may call under tools:, or remove tool_choice:",
        )
    elif choice not in entry.tools:
        report.problem(
            doc,
            loc + ("tool_choice",),
            f"agent {name!r}: tool_choice: {choice!r} is neither auto, required, none nor "
            "one of its tools",
            suggest(choice, [*entry.tools, *TOOL_CHOICES], "choices"),
        )


def _import_near(path: str, catalog: Path) -> Any:
    """Import a tool function as the worker will (``python -m`` puts its current folder on
    the path), else from the folder of ``catalog`` or the nearest one above it that holds
    the module's top package — the project's root, so ``agents.tools:fx`` of
    ``<project>/agents/tools.yaml`` is found whatever folder the spec is compiled from."""
    try:
        return load_function(path)
    except ProviderNotConfigured:
        top = path.partition(":")[0].split(".")[0]
        folders = [Path.cwd(), *catalog.resolve().parents]
        found = next((f for f in folders if _holds(f, top) and str(f) not in sys.path), None)
        if found is None:
            raise
        sys.path.append(str(found))
        try:
            return load_function(path)
        finally:
            sys.path.remove(str(found))


def _holds(folder: Path, module: str) -> bool:
    return (folder / module).is_dir() or (folder / f"{module}.py").is_file()


def _function_schema(
    report: Reporter, name: str, path: str, doc: YamlDocument, loc: Loc
) -> dict | None:
    from podium.activities.tools.signature import parameters_schema

    try:
        return parameters_schema(_import_near(path, doc.path))
    except ToolNotConfigured as exc:  # pragma: no cover - load_function raises the agent's
        report.problem(doc, loc + ("function",), str(exc))
    except Exception as exc:  # noqa: BLE001 - ProviderNotConfigured, or hints it cannot read
        report.problem(
            doc,
            loc + ("function",),
            f"tool {name!r}: cannot read the arguments of {path!r}: {exc}",
            "the module is looked for where Python finds it, in the current folder and in "
            "the catalog's folder and those above it: put it there or on PYTHONPATH, or "
            "give the tool's parameters: as a JSON Schema",
        )
    return None
