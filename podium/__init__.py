"""Podium's Python API: one import path for everything a user program needs.

    import podium

    plan = podium.compile_spec("specs/deal_review.yaml")        # or load_catalog(...)
    handle = await podium.start_run(client, plan, {"company": "Acme"})

    # in your own (sandboxed) workflow, on a worker with plugins=[podium.PodiumPlugin()]:
    answer = await podium.call_agent_step(agent, {"terms": t}, step_id="legal")
    outcomes = await podium.fan_out({...}, join="any")

Names not listed in ``__all__`` are internal and may change.

Podium's own code lives in ``podium.activities``, ``podium.compiler``,
``podium.workflows``, ``podium.workers`` and ``podium.starters`` — the repository's
top-level folders of those names, installed under ``podium`` so a project with its own
``workflows`` or ``activities`` package can use Podium in the same environment.
"""

import importlib
from pathlib import Path as _Path
from typing import TYPE_CHECKING, Any

# Running from a source checkout (or an editable install): the subpackages are the
# repository's top-level folders beside this one. An installed wheel has them inside.
_HERE = _Path(__file__).resolve().parent
_SOURCE = _HERE.parent
if not (_HERE / "workflows").is_dir() and (_SOURCE / "workflows" / "interpreter.py").is_file():
    __path__.append(str(_SOURCE))  # noqa: F821 - a package's __path__

if TYPE_CHECKING:
    from podium.activities.contracts import AgentConfig, AgentResult, FailureDetails, Usage
    from podium.activities.error_types import from_failure
    from podium.activities.errors import (
        AgentCallError,
        PermanentError,
        PodiumError,
        RetryableError,
        RunFailure,
        RunStopped,
        SetupError,
        StepError,
    )
    from podium.activities.retry_settings import RetrySettings
    from podium.activities.run_events import RunEvent, TextAssembly
    from podium.compiler.agents import load_catalog
    from podium.compiler.problems import CompileError
    from podium.compiler.spec_compiler import compile_spec
    from podium.starters.events import subscribe
    from podium.starters.launch import start_run
    from podium.workers.plugin import PodiumPlugin
    from podium.workflows.calls import AgentStepLedger, AgentStepResult, call_agent_step
    from podium.workflows.kinds.base import NodeBase, StepKind
    from podium.workflows.kinds.base import register as register_kind
    from podium.workflows.patterns import (
        BranchOutcome,
        JoinFailed,
        NoRoute,
        choose_case,
        fan_out,
        map_bounded,
        refine_loop,
    )
    from podium.workflows.plan import Plan, RunInput
    from podium.workflows.state import RunResult, RunState, StepState
    from podium.workflows.steps.agent_call import call_agent

_EXPORTS: dict[str, tuple[str, str]] = {
    "AgentCallError": ("podium.activities.errors", "AgentCallError"),
    "AgentConfig": ("podium.activities.contracts", "AgentConfig"),
    "AgentResult": ("podium.activities.contracts", "AgentResult"),
    "AgentStepLedger": ("podium.workflows.calls", "AgentStepLedger"),
    "AgentStepResult": ("podium.workflows.calls", "AgentStepResult"),
    "BranchOutcome": ("podium.workflows.patterns", "BranchOutcome"),
    "CompileError": ("podium.compiler.problems", "CompileError"),
    "FailureDetails": ("podium.activities.contracts", "FailureDetails"),
    "JoinFailed": ("podium.workflows.patterns", "JoinFailed"),
    "NoRoute": ("podium.workflows.patterns", "NoRoute"),
    "NodeBase": ("podium.workflows.kinds.base", "NodeBase"),
    "PermanentError": ("podium.activities.errors", "PermanentError"),
    "Plan": ("podium.workflows.plan", "Plan"),
    "PodiumError": ("podium.activities.errors", "PodiumError"),
    "PodiumPlugin": ("podium.workers.plugin", "PodiumPlugin"),
    "RetrySettings": ("podium.activities.retry_settings", "RetrySettings"),
    "RetryableError": ("podium.activities.errors", "RetryableError"),
    "RunEvent": ("podium.activities.run_events", "RunEvent"),
    "RunFailure": ("podium.activities.errors", "RunFailure"),
    "RunInput": ("podium.workflows.plan", "RunInput"),
    "RunResult": ("podium.workflows.state", "RunResult"),
    "RunState": ("podium.workflows.state", "RunState"),
    "RunStopped": ("podium.activities.errors", "RunStopped"),
    "SetupError": ("podium.activities.errors", "SetupError"),
    "StepError": ("podium.activities.errors", "StepError"),
    "StepKind": ("podium.workflows.kinds.base", "StepKind"),
    "StepState": ("podium.workflows.state", "StepState"),
    "TextAssembly": ("podium.activities.run_events", "TextAssembly"),
    "Usage": ("podium.activities.contracts", "Usage"),
    "call_agent": ("podium.workflows.steps.agent_call", "call_agent"),
    "call_agent_step": ("podium.workflows.calls", "call_agent_step"),
    "choose_case": ("podium.workflows.patterns", "choose_case"),
    "compile_spec": ("podium.compiler.spec_compiler", "compile_spec"),
    "fan_out": ("podium.workflows.patterns", "fan_out"),
    "from_failure": ("podium.activities.error_types", "from_failure"),
    "load_catalog": ("podium.compiler.agents", "load_catalog"),
    "map_bounded": ("podium.workflows.patterns", "map_bounded"),
    "refine_loop": ("podium.workflows.patterns", "refine_loop"),
    "register_kind": ("podium.workflows.kinds.base", "register"),
    "start_run": ("podium.starters.launch", "start_run"),
    "subscribe": ("podium.starters.events", "subscribe"),
}

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
    "RunEvent",
    "RunFailure",
    "RunInput",
    "RunResult",
    "RunState",
    "RunStopped",
    "SetupError",
    "StepError",
    "StepKind",
    "StepState",
    "TextAssembly",
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
    "subscribe",
]


def __getattr__(name: str) -> Any:
    """Import an exported name on first use: ``import podium.workflows.metrics`` (what
    workflow code does) stays light, ``podium.compile_spec`` still just works."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'podium' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
