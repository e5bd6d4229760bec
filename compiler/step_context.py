"""What a kind's compilation sees of the step compiler (``compiler.steps.StepCompiler``):
where to report, the spec file, what steps may read, the agents, and how to compile the
steps nested in it. A protocol, so the kinds' compilations and the compiler that calls
them do not import each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from podium.compiler.agents import AgentResolver
from podium.compiler.problems import Reporter
from podium.compiler.spec import StepEntry
from podium.compiler.step_graph import Scope, StepGraph
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.kinds.base import Node
from podium.workflows.plan import Plan

ChildCompiler = Callable[[YamlDocument, Loc, str], Plan | None]
"""Compiles a sub-workflow's spec (parent document, place, relative path)."""


class StepContext(Protocol):
    """The step compiler, as a kind's compilation uses it."""

    report: Reporter
    doc: YamlDocument
    agents: AgentResolver
    graph: StepGraph
    compile_child: ChildCompiler

    def compile_step(
        self,
        step: StepEntry,
        loc: Loc,
        scope: Scope,
        *,
        top_level: bool = False,
        auto_id: str | None = None,
        branch: bool = False,
    ) -> Node | None:
        """The plan node of a nested spec step (None after reporting problems)."""
