"""The interpreter workflow's input: a plan, the run input, and — when a long run has
continued as new — what it carries into the next run of its chain.

Before a run's history nears Temporal's limits (or when the server suggests it),
``PodiumRun`` stops starting steps, lets the running ones finish, and continues as new
under the same workflow id with a ``RunCarry``: the run state (steps, outputs, per-agent
totals, the budget ledger, human requests and decisions, jumps, the deadline), the
expression scope's step results, and the saga of completed steps to undo if the run
fails later. The next run starts where this one stopped; nothing that completed runs
again.
"""

from __future__ import annotations

from typing import Any

from podium.activities.contract_base import Contract
from podium.activities.spend_contracts import SpendWindow
from podium.activities.tool_contracts import ToolUndo
from podium.workflows.frame import Frame, ScopeData
from podium.workflows.kinds.base import Node, Plan
from podium.workflows.run_context import RunContext, SagaEntry
from podium.workflows.state import RunState
from pydantic import Field
from temporalio.contrib.workflow_streams import WorkflowStreamState


class SagaCarry(Contract):
    """One ``SagaEntry`` as it crosses into the next run."""

    node: Node | None = None
    tool_undo: ToolUndo | None = None
    """Set instead of ``node`` for a tool call to undo."""
    scope: ScopeData
    key: str


class RunCarry(Contract):
    """The part of a run the next run of its chain starts from."""

    state: RunState
    steps: dict[str, Any] = Field(default_factory=dict)
    """``steps.<id>`` results (``{output, status}``) the expressions read."""
    saga: list[SagaCarry] = Field(default_factory=list)
    events: WorkflowStreamState | None = None
    """The run's last events (its stream goes on at the same offsets)."""

    @classmethod
    def of(cls, ctx: RunContext, frame: Frame) -> RunCarry:
        """What ``ctx`` and ``frame`` hold now."""
        return cls(
            state=ctx.state,
            steps=dict(frame.steps),
            saga=[
                SagaCarry(
                    node=None if isinstance(entry.node, ToolUndo) else entry.node,
                    tool_undo=entry.node if isinstance(entry.node, ToolUndo) else None,
                    scope=entry.frame.shared(),
                    key=entry.key,
                )
                for entry in ctx.saga
            ],
        )

    def saga_entries(self) -> list[SagaEntry]:
        """The saga as the run context holds it."""
        return [SagaEntry(c.tool_undo or c.node, Frame.of_batch(c.scope), c.key) for c in self.saga]


class RunInput(Contract):
    """Input of the interpreter workflow."""

    plan: Plan
    input: dict[str, Any] = Field(default_factory=dict)
    carry: RunCarry | None = None
    """Set when the run continued as new: where the previous run of the chain stopped."""
    payload_store: bool | None = None
    """Whether the client that started the run stores large payloads (``start_run`` sets
    it; children and later runs of the chain inherit it). None: runs started before it was
    carried — the worker's own setting decides."""
    spend: list[SpendWindow] | None = None
    """A sub-workflow's parent's spend windows (their keys evaluated there): the child's
    calls spend under them too. None: a top-level run (its plan's windows apply)."""
    follow: bool = False
    """Started to be followed (``podium run --follow``, ``podium serve``'s ``POST /runs``):
    agents stream their text from the first call, before any subscriber has polled."""
