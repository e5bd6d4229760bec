"""Podium's built-in step kinds, registered here — the one place that lists them.

The plan imports this module once, so any plan can hold any built-in kind. Each kind's
compilation from a spec is registered on the client side (``compiler.kinds``); how a
kind is drawn is in ``compiler.graph``.
"""

from podium.workflows.kinds.agent import AgentKind, run_agent_node
from podium.workflows.kinds.approval import ApprovalKind, run_approval
from podium.workflows.kinds.base import KINDS, register
from podium.workflows.kinds.map import MapKind, run_map
from podium.workflows.kinds.parallel import ParallelKind, run_parallel
from podium.workflows.kinds.refine import RefineKind, run_refine
from podium.workflows.kinds.route import RouteKind, run_route
from podium.workflows.kinds.supervise import SuperviseKind, run_supervise
from podium.workflows.kinds.workflow import WorkflowKind, run_child

BUILT_IN = (
    AgentKind(run=run_agent_node),
    ApprovalKind(run=run_approval),
    MapKind(run=run_map),
    ParallelKind(run=run_parallel),
    RefineKind(run=run_refine),
    RouteKind(run=run_route),
    SuperviseKind(run=run_supervise),
    WorkflowKind(run=run_child),
)
"""The built-in kinds (in the order the docs' table lists them)."""

for _kind in BUILT_IN:
    register(_kind)

__all__ = ["BUILT_IN", "KINDS"]
