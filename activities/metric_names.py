"""Podium's metrics: names, descriptions, units and histogram buckets (side-effect free).

Both sides record through a Temporal metric meter and name their instruments from here:
workflow code (``workflows.metrics``: runs, steps, human waits; ``workflows.accuracy``:
each agent's contract failures and repairs, reviewer verdicts, people's decisions;
``workflows.eval_scores``: eval and judge scores) and
activities (``activities.telemetry``: agent calls, circuit breakers). The worker's Prometheus
runtime takes ``HISTOGRAM_BUCKETS``. This module imports only the standard library
(temporalio for type hints alone) and does nothing at import, so the workflow sandbox
loads it as is; tracing set-up and exporters stay in ``activities.telemetry``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.common import MetricCounter, MetricGauge, MetricHistogramFloat, MetricMeter


@dataclass(frozen=True)
class Metric:
    """One instrument: its Prometheus name, its help text and its unit."""

    name: str
    description: str
    unit: str | None = None

    def counter(self, meter: MetricMeter) -> MetricCounter:
        """This metric as a counter on ``meter``."""
        return meter.create_counter(self.name, self.description, self.unit)

    def histogram(self, meter: MetricMeter) -> MetricHistogramFloat:
        """This metric as a float histogram on ``meter`` (buckets: ``HISTOGRAM_BUCKETS``)."""
        return meter.create_histogram_float(self.name, self.description, self.unit)

    def gauge(self, meter: MetricMeter) -> MetricGauge:
        """This metric as a gauge on ``meter``."""
        return meter.create_gauge(self.name, self.description, self.unit)


AGENT_LATENCY = Metric("podium_agent_call_latency", "Agent call latency", "ms")
AGENT_ERRORS = Metric("podium_agent_errors", "Failed agent calls by error class", "{call}")
TOKENS = Metric("podium_tokens", "Tokens used by agent calls", "{token}")
COST_USD = Metric("podium_cost_usd", "Cost of agent calls", "USD")
CIRCUIT_OPEN = Metric("podium_circuit_open", "Circuit breaker not closed (1) or closed (0)")
RUNS = Metric("podium_runs", "Runs finished, by spec and outcome", "{run}")
HUMAN_WAIT = Metric("podium_human_wait_seconds", "Time human requests waited for a decision", "s")
RUN_DURATION = Metric("podium_run_duration_seconds", "Time runs took, start to end", "s")
RUN_COST = Metric("podium_run_cost_usd", "What each finished run spent", "USD")
STEP_DURATION = Metric("podium_step_duration_seconds", "Time steps took, start to end", "s")
CONTRACT_FAILURES = Metric(
    "podium_contract_failures", "Agent answers that failed their output contract", "{answer}"
)
CONTRACT_REPAIRS = Metric(
    "podium_contract_repairs", "Invalid agent answers that a repair round fixed", "{answer}"
)
REVIEW_VERDICTS = Metric(
    "podium_review_verdicts", "Reviewer verdicts on a producer's drafts in refine", "{verdict}"
)
HUMAN_DECISIONS = Metric(
    "podium_human_decisions", "People's approvals and rejections of agents' work", "{decision}"
)
EVAL_SCORE = Metric(
    "podium_eval_score", "Eval and judge scores per agent and suite, from 0 (worst) to 1 (best)"
)
"""Labels ``agent`` and ``suite``. ``podium eval`` hands its scores to a worker with
``podium.starters.eval_scores.record``; the worker records them (``workflows/eval_scores.py``)."""

SPEND_USD = Metric("podium_spend_usd", "What a spend window's key spent this day or month", "USD")
"""A float gauge, labels ``key`` (``<window>/<key>``) and ``window`` (``day``, ``month``):
set by the window's ledger workflow (``workflows/spend_ledger.py``) after each booking."""
SPEND_REFUSALS = Metric(
    "podium_spend_refusals", "Agent calls a spend window refused (its cap reached)", "{call}"
)
"""Labels ``key`` and ``window`` (the period whose cap refused it)."""
GUARD_TRIPS = Metric(
    "podium_guard_trips",
    "What guards found: personal data masked, redacted or blocked, injections",
    "{finding}",
)
"""Labels ``agent`` or ``tool`` (whose guard), ``kind`` (``email``, ``sg_nric``…,
``injection``), ``action`` (``mask``, ``redact``, ``block``) and ``check`` (``input``,
``output``, ``injection``); recorded by the activity that screened the text
(``activities/guards/hooks.py``)."""

_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600]

HISTOGRAM_BUCKETS: dict[str, list[float]] = {
    AGENT_LATENCY.name: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000],
    COST_USD.name: [0.00001, 0.0001, 0.001, 0.01, 0.1, 1, 10],
    EVAL_SCORE.name: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    HUMAN_WAIT.name: [1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600],
    RUN_COST.name: [0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 10, 50],
    RUN_DURATION.name: _SECONDS,
    STEP_DURATION.name: _SECONDS,
}
"""Bucket bounds of Podium's histograms (the runtime's defaults suit milliseconds)."""
