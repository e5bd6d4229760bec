"""The run's event stream, workflow side (``activities/run_events.py`` says what it holds).

``PodiumRun`` hosts one ``RunStream`` (Temporal's Workflow Streams, constructed in its
``__init__``); executors publish through ``ctx.events`` (``RunEvents``), which costs the
run no history: the log is rebuilt by replaying the workflow code that publishes it.
What does cost history — the agents' text, one signal per batch — is asked for only when
someone follows the run: it was started to be followed (``RunInput.follow``), or a
subscriber has polled its stream (each poll is an Update, so replay sees it too).

Retention: a run keeps its last ``KEEP`` events in memory (older offsets are dropped, a
subscriber asking for them starts at the oldest kept) and carries its last ``CARRY``
events into the next run when it continues as new; a closed run's events are read from
its last run while its history is retained (the namespace's retention period).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from podium.activities.contracts import StreamTarget
from podium.activities.run_events import TOPIC, EventKind, RunEvent
from podium.workflows.humans import HumanRequest
from temporalio import workflow
from temporalio.contrib.workflow_streams import (
    PollInput,
    PollResult,
    PublishInput,
    WorkflowStream,
    WorkflowStreamState,
)

KEEP = 20_000
"""Events a run keeps for subscribers (then the oldest half is dropped)."""
CARRY = 2_000
"""Events carried into the next run of a chain (continue-as-new)."""


class RunStream(WorkflowStream):
    """The Workflow Stream of a run, which also notices that someone follows it."""

    def __init__(self, prior_state: WorkflowStreamState | None = None) -> None:
        super().__init__(prior_state)
        self.watched = False
        """A subscriber has polled this run (so agents stream their text)."""

    async def _on_poll(self, payload: PollInput) -> PollResult:
        self.watched = True
        return await super()._on_poll(payload)

    def _on_publish(self, payload: PublishInput) -> None:
        super()._on_publish(payload)
        self.trim(KEEP)

    def trim(self, keep: int) -> None:
        """Drop the oldest events past ``keep`` (to ``keep // 2`` when over ``KEEP``)."""
        end = self._on_offset()
        if end - self._base_offset > keep:
            self.truncate(end - (keep // 2 if keep == KEEP else keep))

    def carried(self) -> WorkflowStreamState:
        """What the next run of the chain starts its stream from (the last ``CARRY``)."""
        self.trim(CARRY)
        return self.get_state()


class RunEvents:
    """Publishing a run's events from workflow code (a no-op where there is no stream:
    map batches, hand-written workflows)."""

    def __init__(
        self,
        stream: RunStream | None = None,
        follow: bool = False,
        open_requests: Iterable[HumanRequest] = (),
    ) -> None:
        self.stream = stream
        self.follow = follow
        self._open = {r.id for r in open_requests if r.status == "open"}

    def publish(
        self,
        kind: EventKind,
        *,
        step: str | None = None,
        text: str | None = None,
        attempt: int | None = None,
        **data: Any,
    ) -> None:
        """Append an event to the run's stream."""
        if self.stream is None:
            return
        event = RunEvent(
            kind=kind, at=workflow.now(), step=step, text=text, attempt=attempt, data=data
        )
        self.stream.topic(TOPIC).publish(event.model_dump(mode="json", exclude_defaults=True))
        self.stream.trim(KEEP)

    def requests_changed(self, requests: list[HumanRequest]) -> None:
        """``step.waiting`` for each request that opened, ``step.resumed`` for each that
        closed, since the last call."""
        is_open = {r.id for r in requests if r.status == "open"}
        for request in requests:
            if request.id in is_open and request.id not in self._open:
                self.publish(
                    "step.waiting",
                    step=request.step,
                    text=request.asks(),
                    request=request.id,
                    request_kind=request.kind,
                    approvers=request.approvers,
                    deadline=request.deadline.isoformat() if request.deadline else None,
                )
            elif request.id in self._open and request.id not in is_open:
                decision = request.decision
                self.publish(
                    "step.resumed",
                    step=request.step,
                    text=request.status if decision is None else decision.outcome,
                    request=request.id,
                    by=None if decision is None else decision.by,
                    comment=None if decision is None else decision.comment,
                )
        self._open = is_open

    def target(self, call: str) -> StreamTarget | None:
        """Where an agent call streams its text (None: nobody follows the run)."""
        if self.stream is None or not (self.follow or self.stream.watched):
            return None
        return StreamTarget(workflow_id=workflow.info().workflow_id, call=call)
