"""What a replay sends, compared with what the history recorded — values, not only types.

Temporal's replayer checks that today's code issues the same commands as the history
(an activity where there was an activity, a timer where there was a timer). It does not
compare their inputs: code that started the same activities with each other's inputs
(parallel branches started in set order, say) replays cleanly while, after a crash, each
branch would get another branch's answer. ``SendsRecorded`` is a worker interceptor that
records every activity and child workflow the replayed code starts, with its arguments;
``differences`` compares them, in order, with the history's scheduled events.
"""

from __future__ import annotations

import json
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    StartChildWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

FIRE_AND_FORGET = {"podium.notify"}
"""Activities whose result the workflow never reads (webhook notifications): a message
worded differently today cannot hand any step the wrong answer."""

Sent = tuple[str, str, list[Any]]
"""(kind, activity or workflow type, arguments as JSON values)."""


class SendsRecorded(Interceptor):
    """Records what the workflows it sees start (``sent``), in order."""

    def __init__(self, converter: DataConverter) -> None:
        self.converter = converter
        self.sent: list[Sent] = []

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        recorder = self

        class _Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput) -> Any:
                recorder.sent.append(("activity", input.activity, recorder.values(input.args)))
                return super().start_activity(input)

            async def start_child_workflow(self, input: StartChildWorkflowInput) -> Any:
                recorder.sent.append(("child", input.workflow, recorder.values(input.args)))
                return await super().start_child_workflow(input)

        class _Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(_Outbound(outbound))

        return _Inbound

    def values(self, args: Any) -> list[Any]:
        payloads = self.converter.payload_converter.to_payloads(list(args))
        return [_plain(json.loads(p.data)) for p in payloads]


def recorded(history: WorkflowHistory) -> list[Sent]:
    """What the history says was started: scheduled activities and child workflows."""
    out: list[Sent] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            values = [_plain(json.loads(p.data)) for p in attrs.input.payloads]
            out.append(("activity", attrs.activity_type.name, values))
        elif event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            child = event.start_child_workflow_execution_initiated_event_attributes
            values = [_plain(json.loads(p.data)) for p in child.input.payloads]
            out.append(("child", child.workflow_type.name, values))
    return out


def differences(sent: list[Sent], history: WorkflowHistory) -> list[str]:
    """Each place where the replay started something other than the history records
    (fields added since — new optional fields the history's inputs lack — are not
    differences: every field the history has must hold the same value)."""
    expected = recorded(history)
    out = []
    for n, (now, then) in enumerate(zip(sent, expected, strict=False)):
        if then[1] in FIRE_AND_FORGET and now[1] == then[1]:
            continue
        if now[:2] != then[:2] or not _matches(then[2], now[2]):
            out.append(
                f"#{n + 1} {then[0]} {then[1]}: recorded {then[2]!r}, "
                f"replay sent {now[1]} {now[2]!r}"
            )
    if len(sent) != len(expected):
        out.append(
            f"the replay started {len(sent)} activities or children, history {len(expected)}"
        )
    return out


def _matches(then: Any, now: Any) -> bool:
    """Whether ``now`` holds everything ``then`` holds (extra dict keys allowed)."""
    if isinstance(then, dict):
        return isinstance(now, dict) and all(
            k in now and _matches(v, now[k]) for k, v in then.items()
        )
    if isinstance(then, list):
        return (
            isinstance(now, list)
            and len(now) == len(then)
            and all(_matches(a, b) for a, b in zip(then, now, strict=True))
        )
    return bool(then == now)


def _plain(value: Any) -> Any:
    """``value`` without null fields (a null and a missing field read the same)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
