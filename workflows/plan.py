"""The compiled ``Plan``: the only input of the interpreter workflow.

A plan is self-contained (every agent resolved, every expression checked, every
sub-workflow's plan embedded), so a run's exact definition is in its history and
needs no file at run time. Nodes form a tree; top-level nodes also form a DAG
through ``needs``. Each node is of a registered step kind (``workflows/kinds/``); this
module is the plan's import path and registers the built-in kinds.
"""

from __future__ import annotations

import podium.workflows.kinds.all  # noqa: F401 - registers the built-in kinds
from podium.workflows.kinds.base import (
    Budget,
    Deadline,
    HistoryLimits,
    Node,
    NodeBase,
    Plan,
    asks_people,
    children,
    kind_of,
    node_label,
    tracked,
    walk,
)
from podium.workflows.run_input import RunCarry, RunInput

__all__ = [
    "Budget",
    "Deadline",
    "HistoryLimits",
    "Node",
    "NodeBase",
    "Plan",
    "RunCarry",
    "RunInput",
    "asks_people",
    "children",
    "kind_of",
    "node_label",
    "tracked",
    "walk",
]
