"""At worker start: the tools of the ``--catalog`` files this worker can actually run.

A function tool that does not import here, or an HTTP tool whose ``auth_env`` variable is
unset, would fail every call with ``ToolNotConfigured``; the worker says so when it
starts, naming the file, the line and the fix, instead of at the first call.
"""

from __future__ import annotations

import os
from pathlib import Path

from podium.activities.providers.function import load_function
from podium.activities.secrets import register as register_secret
from podium.activities.tool_contracts import ToolSpec
from podium.activities.tools.allowed import fingerprint
from podium.compiler.catalog import CatalogFile
from podium.compiler.catalog_tools import ToolEntry
from podium.compiler.problems import Reporter
from podium.compiler.textfile import FileReadError
from podium.compiler.yamlfile import YamlDocument, read_yaml


def catalog_files(paths: list[Path]) -> list[Path]:
    """The catalog files ``--catalog`` names (a directory: every ``*.yaml`` in it)."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    return files


def _tools_of(file: Path, report: Reporter) -> tuple[YamlDocument | None, dict[str, ToolEntry]]:
    """The ``tools:`` section of one catalog file (problems go to ``report``)."""
    try:
        doc = read_yaml(file, "agent catalog")
    except FileReadError:
        return None, {}  # reported with the providers
    if not isinstance(doc.data, dict) or "tools" not in doc.data:
        return None, {}
    only = YamlDocument(doc.path, {"tools": doc.data["tools"]}, doc.lines)
    catalog = report.validate(only, CatalogFile)
    return only, (catalog.tools if catalog else {})


def tool_warnings(paths: list[Path]) -> list[str]:
    """One line per tool of the catalogs that this worker cannot run (file:line: why)."""
    lines: list[str] = []
    for file in catalog_files(paths):
        report = Reporter(file)
        only, tools = _tools_of(file, report)
        for name, tool in tools.items():
            assert only is not None
            where = ("tools", name)
            if tool.function is not None:
                try:
                    load_function(tool.function)
                except Exception as exc:  # noqa: BLE001 - reported, the worker goes on
                    report.problem(
                        only,
                        where + ("function",),
                        f"tool {name!r} cannot run on this worker: {exc}",
                        "install its package here, or start the worker from the folder "
                        "that holds the module",
                    )
            if tool.http is not None and tool.http.auth_env:
                register_secret(tool.http.auth_env)  # its value never reaches a log line
                if not os.environ.get(tool.http.auth_env):
                    report.problem(
                        only,
                        where + ("http", "auth_env"),
                        f"tool {name!r} needs environment variable {tool.http.auth_env} on "
                        "this worker, and it is not set: its calls will fail",
                        f"set {tool.http.auth_env} where the worker runs",
                    )
        lines += [str(problem) for problem in report.problems]
    return lines


def catalog_fingerprints(paths: list[Path]) -> list[tuple[object, ...]]:
    """The fingerprints (``activities.tools.allowed``) of every tool the catalogs define,
    as the compiler pins them."""
    found: list[tuple[object, ...]] = []
    for file in catalog_files(paths):
        for name, tool in _tools_of(file, Reporter(file))[1].items():
            spec = ToolSpec(name=name, kind=tool.kind, function=tool.function)
            if tool.http is not None:
                spec.method, spec.url, spec.auth_env = (
                    tool.http.method,
                    tool.http.url,
                    tool.http.auth_env,
                )
            if tool.mcp is not None:
                spec.mcp_command, spec.mcp_url = tool.mcp.command, tool.mcp.url
                spec.mcp_env = tool.mcp.env
            found.append(fingerprint(spec))
    return found
