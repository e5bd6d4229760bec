"""Orchestration patterns as plain async helpers, for specs and hand-written workflows.

Use them inside any Temporal workflow::

    from podium.workflows.patterns import fan_out, map_bounded, choose_case, refine_loop

    outcomes = await fan_out({"legal": lambda: call_agent(...), "tech": ...}, join="any")
"""

from podium.workflows.patterns.map import map_bounded
from podium.workflows.patterns.parallel import BranchOutcome, JoinFailed, fan_out
from podium.workflows.patterns.refine import RefineOutcome, refine_loop
from podium.workflows.patterns.route import NoRoute, case_key, choose_case

__all__ = [
    "BranchOutcome",
    "JoinFailed",
    "NoRoute",
    "RefineOutcome",
    "case_key",
    "choose_case",
    "fan_out",
    "map_bounded",
    "refine_loop",
]
