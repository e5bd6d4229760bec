"""Run- and step-level metrics recorded from workflow code (runs, their duration and cost,
step durations, human waits).

They go through ``workflow.metric_meter()``, which records nothing while a workflow
replays, so a run is counted once however often its history is replayed. They come out
of the worker's Temporal runtime with its own metrics (``podium worker --metrics-port``);
with no metrics configured the meter is a no-op. Their names, units and buckets come
from ``activities.metric_names``, which does nothing at import: no tracing set-up, no
exporter and no I/O reach workflow code from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from podium.activities.metric_names import (
    HUMAN_WAIT,
    RUN_COST,
    RUN_DURATION,
    RUNS,
    STEP_DURATION,
)
from temporalio import workflow

if TYPE_CHECKING:
    from podium.workflows.state import RunState


def count_run(spec: str, outcome: str) -> None:
    """Count one finished run of ``spec`` (outcome: completed, failed, cancelled);
    sub-workflow runs are part of their parent's and are not counted."""
    if workflow.info().parent is not None:
        return
    RUNS.counter(workflow.metric_meter()).add(1, {"spec": spec, "outcome": outcome})


def observe_human_wait(spec: str, kind: str, seconds: float) -> None:
    """Record how long a human request of ``kind`` waited before it was closed."""
    HUMAN_WAIT.histogram(workflow.metric_meter()).record(
        max(0.0, seconds), {"spec": spec, "kind": kind}
    )


def observe_run(state: RunState) -> None:
    """Record a finished run's duration (its ``started_at`` to ``finished_at``: a chain of
    continued runs counts whole) and spend (sub-workflow runs: as ``count_run``)."""
    if workflow.info().parent is not None or state.finished_at is None:
        return
    began = state.started_at or workflow.info().start_time
    seconds = (state.finished_at - began).total_seconds()
    meter = workflow.metric_meter()
    labels = {"spec": state.spec, "outcome": state.status}
    RUN_DURATION.histogram(meter).record(max(0.0, seconds), labels)
    RUN_COST.histogram(meter).record(max(0.0, state.cost_usd), {"spec": state.spec})


def observe_step(spec: str, step: str, kind: str, seconds: float) -> None:
    """Record how long a tracked step of ``spec`` took (the bottleneck panels' figures)."""
    labels = {"spec": spec, "step": step, "kind": kind}
    STEP_DURATION.histogram(workflow.metric_meter()).record(max(0.0, seconds), labels)
