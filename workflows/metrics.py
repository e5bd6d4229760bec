"""Run-level metrics recorded from workflow code.

They go through ``workflow.metric_meter()``, which records nothing while a workflow
replays, so a run is counted once however often its history is replayed. They come out
of the worker's Temporal runtime with its own metrics (``podium worker --metrics-port``);
with no metrics configured the meter is a no-op. The names (and the histogram's buckets)
are defined with the other Podium metrics in ``activities.telemetry``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.telemetry import HUMAN_WAIT, RUNS


def count_run(spec: str, outcome: str) -> None:
    """Count one finished run of ``spec`` (outcome: completed, failed, cancelled);
    sub-workflow runs are part of their parent's and are not counted."""
    if workflow.info().parent is not None:
        return
    workflow.metric_meter().create_counter(RUNS, "Runs finished, by spec and outcome", "{run}").add(
        1, {"spec": spec, "outcome": outcome}
    )


def observe_human_wait(spec: str, kind: str, seconds: float) -> None:
    """Record how long a human request of ``kind`` waited before it was closed."""
    workflow.metric_meter().create_histogram_float(
        HUMAN_WAIT, "Time human requests waited for a decision", "s"
    ).record(max(0.0, seconds), {"spec": spec, "kind": kind})
