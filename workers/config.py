"""What a worker registers to run Podium, defined once: ``podium worker``
(``workers.worker.build_workers``) and ``PodiumPlugin`` (a user's own worker) both read
it, so neither can drift from the other.

    PodiumWorkerConfig
    ├── workflows, activities        the orchestration queue's (Podium's workflows, webhook
    │                                notifications, workload look-ups, tool calls, the fast
    │                                path's local calls); a user's worker: local calls only
    ├── provider_activities          what each provider queue (podium-llm-<name>) runs
    ├── orchestration_queue          where Podium's workflows and tool calls are scheduled
    ├── failure_exception_types      raised by workflow code, they fail the run, not its task
    ├── interceptors()               secret scrubbing of activity failures
    ├── runner(base)                 the workflow runner, with Podium's sandbox pass-throughs
    └── converter()                  the data converter from ``payloads``
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podium.activities.errors import RunFailure
from podium.activities.memory.activities import read_memory, write_memory
from podium.activities.notify import notify
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.run_agent import run_agent
from podium.activities.secrets import ScrubbingInterceptor
from podium.activities.tools.run import run_tool
from podium.activities.workload import queue_load
from podium.compiler.determinism import check_kind
from podium.workflows.eval_scores import PodiumEvalScores
from podium.workflows.interpreter import PodiumRun
from podium.workflows.kinds.base import KINDS
from podium.workflows.limiter import PodiumTokenLimiter
from podium.workflows.map_batch import PodiumMapBatch
from podium.workflows.spend_ledger import PodiumSpendLedger
from temporalio.converter import DataConverter
from temporalio.worker import Interceptor, UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

# Modules the workflow sandbox may share with the host instead of re-importing them
# per run. Each is deterministic and side-effect free where workflows use it.
PASSTHROUGH = (
    "jmespath",  # expression evaluation: pure functions over dicts
    "jsonschema",  # schema checks of values already in the workflow
    "referencing",  # jsonschema's $ref resolver (pure)
    "rpds",  # jsonschema's immutable data structures (compiled, import-heavy)
    "jinja2",  # text templates rendered from workflow values
    "markupsafe",  # jinja2's string escaping
    "httpx",  # activity module import chain only; never called from workflows
    # Podium's own deterministic layer (interpreter, executors, patterns, models): no
    # module-level mutable state but the step-kind registry (kinds are stateless), and it
    # reads time/randomness only through `temporalio.workflow`. Sharing it instead of
    # re-importing it for every cached run cut the worker's memory per waiting run
    # (bench/waiting.py). The same goes for `podium.activities` (contracts and activity
    # stubs; I/O happens only in activities) and the public `podium` surface.
    "podium",
)

WORKFLOWS: tuple[type, ...] = (
    PodiumRun,
    PodiumMapBatch,
    PodiumTokenLimiter,
    PodiumSpendLedger,
    PodiumEvalScores,
)
"""Podium's workflows: what an orchestration worker (and the replayer) runs."""

ORCHESTRATION_ACTIVITIES: tuple[Callable[..., Any], ...] = (
    notify,  # webhook notifications about human requests
    queue_load,  # task-queue workload look-ups (capability assignment)
    run_tool,  # agents' tool calls, and fast tools' local first attempts
    run_agent,  # fast agents' local first attempts
    read_memory,  # memory across runs: the facts a step's agent reads
    write_memory,  # … and the fact a step keeps (docs/memory.md)
)
"""What the orchestration queue's worker runs beside Podium's workflows."""

LOCAL_CALLS: tuple[Callable[..., Any], ...] = (run_agent,)
"""A user's workflow calling a ``fast`` agent runs the first attempt as a local activity
on its own worker, so that worker registers the activity too."""

FAILURE_EXCEPTION_TYPES: tuple[type[BaseException], ...] = (RunFailure,)
"""Raised in workflow code (``fan_out``'s ``JoinFailed``, ``choose_case``'s ``NoRoute``…),
they fail the workflow; any other exception fails only the workflow *task*, which
Temporal retries for ever while the run sits Running. ``PodiumRun`` raises them as
``ApplicationError`` already; a user's own workflow raises the classes themselves."""


@dataclass(frozen=True)
class PodiumWorkerConfig:
    """Everything a worker registers to run Podium (the module docstring draws it)."""

    workflows: tuple[type, ...] = WORKFLOWS
    activities: tuple[Callable[..., Any], ...] = ORCHESTRATION_ACTIVITIES
    provider_activities: tuple[Callable[..., Any], ...] = (run_agent,)
    orchestration_queue: str = ORCHESTRATION_QUEUE
    failure_exception_types: tuple[type[BaseException], ...] = FAILURE_EXCEPTION_TYPES
    sandboxed: bool = False
    """Run workflows in temporalio's sandbox (with ``PASSTHROUGH``). Off for ``podium
    worker``: it runs only Podium's own workflows (specs are data; function agents and
    tools run in activities; registered step kinds are imported by the host), and their
    modules are passed through the sandbox, so its checks never reached Podium's code
    (a ``datetime.now()`` there went unnoticed), while its per-activation machinery cost
    a third of the worker's CPU (a 1,000-run ``bench/peak.py`` A/B: 38 against 26 ms per
    support_triage run). ``tests/workflows/test_determinism.py`` checks Podium's workflow
    code instead; the replay guard replays every golden history both ways. A user's
    worker keeps its own runner (the sandbox by default)."""
    payloads: PayloadSettings | None = None
    """Payload store and encryption keys (None: from the environment)."""

    @classmethod
    def for_user_workflows(cls, payloads: PayloadSettings | None = None) -> PodiumWorkerConfig:
        """A user's own worker: its workflows call Podium's helpers, Podium's run elsewhere."""
        return cls(workflows=(), activities=LOCAL_CALLS, sandboxed=True, payloads=payloads)

    def runner(self, base: WorkflowRunner | None = None) -> WorkflowRunner:
        """``base`` (default: the sandbox if ``sandboxed``, else none) letting Podium's
        deterministic modules through a sandbox (``PASSTHROUGH`` says why each may be)."""
        if base is None:
            base = SandboxedWorkflowRunner() if self.sandboxed else UnsandboxedWorkflowRunner()
        if not isinstance(base, SandboxedWorkflowRunner):
            return base  # unsandboxed: nothing to let through
        restrictions = base.restrictions.with_passthrough_modules(*PASSTHROUGH)
        return dataclasses.replace(base, restrictions=restrictions)

    def interceptors(self) -> list[Interceptor]:
        """Worker interceptors: no activity failure leaves carrying a secret."""
        return [ScrubbingInterceptor()]

    def converter(self) -> DataConverter:
        """The data converter clients and workers share (``activities.payloads``)."""
        return data_converter(self.payloads)

    def orchestration_worker(self) -> dict[str, Any]:
        """``Worker(client, **…)`` arguments for the orchestration queue."""
        return {
            "task_queue": self.orchestration_queue,
            "workflows": list(self.workflows),
            "activities": list(self.activities),
            "workflow_runner": self.runner(),
            "workflow_failure_exception_types": list(self.failure_exception_types),
            "interceptors": self.interceptors(),
        }

    def provider_worker(self, task_queue: str) -> dict[str, Any]:
        """``Worker(client, **…)`` arguments for one provider queue."""
        return {
            "task_queue": task_queue,
            "activities": list(self.provider_activities),
            "interceptors": self.interceptors(),  # no key leaves in a failure
        }


def kind_warnings() -> list[str]:
    """One line per place in a step kind registered besides the built-ins that could make
    a replay differ (``compiler.determinism``): such kinds run inside ``PodiumRun``."""
    lines = []
    for kind in KINDS.values():
        if type(kind).__module__.startswith("podium.workflows."):
            continue  # the built-ins: held by tests/workflows/test_determinism.py
        for finding in check_kind(kind):
            lines.append(
                f"step kind {kind.name!r} may not replay the same on every worker: {finding}"
            )
    return lines
