"""Reading YAML files while remembering where each value was written (for errors)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from podium.compiler.textfile import FileIssue, FileReadError, Loc, read_text

__all__ = ["FileIssue", "FileReadError", "Loc", "SpecLoader", "YamlDocument", "read_yaml"]


class SpecLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false are booleans.

    YAML 1.1 also reads on/off/yes/no as booleans, which would turn a route's ``on:``
    key into ``True`` and a market called ``NO`` (Norway) into ``False``.
    """


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class YamlDocument:
    """A parsed YAML file plus the line of every key path in it."""

    def __init__(self, path: Path, data: Any, lines: dict[Loc, int]):
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest part of ``loc`` that the file spells out."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def read_yaml(path: Path, what: str = "file") -> YamlDocument:
    """Read and parse ``path``; raise ``FileReadError`` (with lines) if it is unreadable,
    not UTF-8/UTF-16, malformed YAML, or repeats a key. An empty file gives ``data=None``."""
    return parse_yaml(read_text(path, what), path)


def parse_yaml(text: str, path: Path) -> YamlDocument:
    """Parse ``text`` (the content of ``path``); raise ``FileReadError`` if it is wrong."""
    loader = SpecLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(path, None, {})
        issues = _structure_issues(node)
        if any(i.loc == () for i in issues):  # cannot be built (an alias loops, or explodes)
            raise FileReadError(path, issues)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise FileReadError(path, [_yaml_issue(exc)]) from None
    except RecursionError:
        raise FileReadError(
            path,
            [FileIssue("the YAML is nested too deeply", hint="flatten it (at most ~100 levels)")],
        ) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    _index(node, (), lines, set())
    doc = YamlDocument(path, data, lines)
    if issues:  # repeated keys: refused, but the rest names their place (step ids)
        raise FileReadError(path, issues, parsed=doc)
    return doc


def _yaml_issue(exc: yaml.YAMLError) -> FileIssue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark is not None else None
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context not in reason:
        where = f" on line {start.line + 1}" if start is not None and start is not mark else ""
        reason = f"{reason} ({context}{where})"
    hint = "check the indentation and quoting around that line"
    if "'\\t'" in reason:
        hint = "YAML indents with spaces, not tabs: replace the tab with spaces"
    return FileIssue(f"not valid YAML: {reason}", line, (), hint)


_MAX_NODES = 1_000_000
_MERGE = "tag:yaml.org,2002:merge"


def _structure_issues(root: yaml.Node) -> list[FileIssue]:
    """Repeated keys, aliases inside their own anchor, and alias bombs (before building)."""
    issues: list[FileIssue] = []
    sizes: dict[int, int] = {}

    def walk(node: yaml.Node, loc: Loc, open_: set[int]) -> int:
        if id(node) in open_:
            issues.append(
                FileIssue(
                    "an alias (*name) is used inside the anchor (&name) it refers to",
                    node.start_mark.line + 1,
                    loc,
                    "a value cannot contain itself: copy the part you need instead",
                )
            )
            return 1
        if id(node) in sizes:  # an alias of a node already checked
            return sizes[id(node)]
        open_.add(id(node))
        size = 1
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, Any], yaml.Node] = {}
            for key_node, value_node in node.value:
                key = _key(key_node)
                if key_node.tag != _MERGE and key is not None:
                    if key in first:
                        issues.append(_duplicate(first[key], key_node, loc))
                    else:
                        first[key] = key_node
                size += walk(value_node, loc + (key[1] if key else "?",), open_)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                size += walk(item, loc + (i,), open_)
        open_.discard(id(node))
        sizes[id(node)] = size
        return size

    total = walk(root, (), set())
    if total > _MAX_NODES and not issues:
        issues.append(
            FileIssue(
                f"aliases expand this file to {total:,} values (at most {_MAX_NODES:,})",
                hint="use fewer nested aliases (*name)",
            )
        )
    return issues


def _key(node: yaml.Node) -> tuple[str, Any] | None:
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else None


def _duplicate(first: yaml.Node, again: yaml.Node, loc: Loc) -> FileIssue:
    line1, line2 = first.start_mark.line + 1, again.start_mark.line + 1
    return FileIssue(
        f"duplicate key {again.value!r} (first on line {line1}, again on line {line2}); "
        "only the last one would be kept",
        line2,
        loc + (again.value,),
        "keep one of them: remove or rename the other (merge their contents if both matter)",
    )


def _index(node: yaml.Node, loc: Loc, lines: dict[Loc, int], seen: set[int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if id(node) in seen:  # an alias: its contents are indexed where the anchor is
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            lines[loc + (key,)] = key_node.start_mark.line + 1
            _index(value_node, loc + (key,), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, loc + (i,), lines, seen)
