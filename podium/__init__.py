"""Podium's Python API: one import path for everything a user program needs.

    import podium

    plan = podium.compile_spec("specs/deal_review.yaml")        # or load_catalog(...)
    handle = await podium.start_run(client, plan, {"company": "Acme"})

    # in your own (sandboxed) workflow, on a worker with plugins=[podium.PodiumPlugin()]:
    answer = await podium.call_agent_step(agent, {"terms": t}, step_id="legal")
    outcomes = await podium.fan_out({...}, join="any")

Names not listed in ``__all__`` are internal and may change.
"""

from activities.contracts import AgentConfig, AgentResult, RetrySettings, Usage
from activities.errors import (
    AgentCallError,
    FailureDetails,
    PermanentError,
    PodiumError,
    RetryableError,
    RunFailure,
    RunStopped,
    SetupError,
    StepError,
    from_failure,
)
from starters.launch import start_run
from workers.plugin import PodiumPlugin
from workflows.calls import AgentStepLedger, AgentStepResult, call_agent_step
from workflows.compile_agents import load_catalog
from workflows.compiler import compile_spec
from workflows.kinds.base import NodeBase, StepKind
from workflows.kinds.base import register as register_kind
from workflows.patterns import (
    BranchOutcome,
    JoinFailed,
    NoRoute,
    choose_case,
    fan_out,
    map_bounded,
    refine_loop,
)
from workflows.plan import Plan, RunInput
from workflows.problems import CompileError
from workflows.state import RunResult, RunState, StepState
from workflows.steps.agent_call import call_agent

__all__ = [
    "AgentCallError",
    "AgentConfig",
    "AgentResult",
    "AgentStepLedger",
    "AgentStepResult",
    "BranchOutcome",
    "CompileError",
    "FailureDetails",
    "JoinFailed",
    "NoRoute",
    "NodeBase",
    "PermanentError",
    "Plan",
    "PodiumError",
    "PodiumPlugin",
    "RetrySettings",
    "RetryableError",
    "RunFailure",
    "RunInput",
    "RunResult",
    "RunState",
    "RunStopped",
    "SetupError",
    "StepError",
    "StepKind",
    "StepState",
    "Usage",
    "call_agent",
    "call_agent_step",
    "choose_case",
    "compile_spec",
    "fan_out",
    "from_failure",
    "load_catalog",
    "map_bounded",
    "refine_loop",
    "register_kind",
    "start_run",
]
