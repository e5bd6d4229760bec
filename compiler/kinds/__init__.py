"""How each built-in step kind compiles from a spec — the client-side half of a kind
(the node and how it runs are in ``workflows.kinds``). ``builder_of`` is the one lookup:
a kind registered besides the built-ins compiles itself (``StepKind.compile``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podium.compiler.kinds.agent import compile_agent
from podium.compiler.kinds.approval import compile_approval
from podium.compiler.kinds.map import compile_map
from podium.compiler.kinds.parallel import compile_parallel
from podium.compiler.kinds.refine import compile_refine
from podium.compiler.kinds.route import compile_route
from podium.compiler.kinds.supervise import compile_supervise
from podium.compiler.kinds.workflow import compile_workflow
from podium.workflows.kinds.base import StepKind

Builder = Callable[..., Any]
"""``build(compiler, step, loc, scope, common)`` → the plan node, or None."""

BUILDERS: dict[str, Builder] = {
    "agent": compile_agent,
    "approval": compile_approval,
    "map": compile_map,
    "parallel": compile_parallel,
    "refine": compile_refine,
    "route": compile_route,
    "supervise": compile_supervise,
    "workflow": compile_workflow,
}


def builder_of(kind: StepKind) -> Builder:
    """How a spec step of ``kind`` compiles: the kind's own ``compile`` when it has one
    (given as ``build=``, or overridden), else the built-in compilation of its name."""
    if kind.compiles_itself() or kind.name not in BUILDERS:
        return kind.compile
    return BUILDERS[kind.name]
