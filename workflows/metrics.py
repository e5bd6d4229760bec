"""Run-level metrics recorded from workflow code.

They go through ``workflow.metric_meter()``, which records nothing while a workflow
replays, so a run is counted once however often its history is replayed. They come out
of the worker's Temporal runtime with its own metrics (``podium worker --metrics-port``);
with no metrics configured the meter is a no-op. Their names, units and buckets come
from ``activities.metric_names``, which does nothing at import: no tracing set-up, no
exporter and no I/O reach workflow code from here.
"""

from __future__ import annotations

from podium.activities.metric_names import HUMAN_WAIT, RUNS
from temporalio import workflow


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
