"""Import every executor so ``EXECUTORS`` knows each node kind."""

from workflows.steps import (  # noqa: F401 - imported for their @executor registration
    agent_step,
    approval_step,
    child_step,
    escalation,
    map_step,
    parallel_step,
    refine_step,
    route_step,
)
from workflows.steps.execute import EXECUTORS, Ctx, execute

__all__ = ["EXECUTORS", "Ctx", "execute"]
