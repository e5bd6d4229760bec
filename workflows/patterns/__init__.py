"""Orchestration patterns as plain async helpers, for specs and hand-written workflows.

Use them inside any Temporal workflow::

    from workflows.patterns import fan_out, map_bounded, choose_case, refine_loop

    outcomes = await fan_out({"legal": lambda: call_agent(...), "tech": ...}, join="any")
"""

from workflows.patterns.map import map_bounded
from workflows.patterns.parallel import BranchOutcome, JoinFailed, fan_out
from workflows.patterns.refine import RefineOutcome, refine_loop
from workflows.patterns.route import NoRoute, case_key, choose_case

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
