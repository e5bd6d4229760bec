"""Eval and judge scores, kept where Prometheus and ``podium stats`` find them.

``podium eval`` runs on a client and ends in seconds: nothing would scrape a metric it
served, and a pushgateway would be one more service to run. So it hands its scores to
the workers instead, as a ``PodiumEvalScores`` workflow (``starters.eval_scores.record``):
the worker that runs it records each score on ``podium_eval_score`` (labels ``agent``,
``suite``) through ``workflow.metric_meter()`` — served on ``--metrics-port`` with every
other Podium metric, recorded once however often the history replays — and the
workflow's result keeps the scores, which ``podium stats`` reads per agent
(``starters.eval_scores.read``). The workflow schedules nothing: it starts, records and
completes in one workflow task.
"""

from __future__ import annotations

from podium.activities.contract_base import Contract
from podium.activities.metric_names import EVAL_SCORE
from pydantic import Field
from temporalio import workflow

WORKFLOW_NAME = "PodiumEvalScores"


class EvalScore(Contract):
    """One score of one agent in an eval: a case's checks or a judge's verdict."""

    agent: str = Field(min_length=1)
    """The agent whose work was scored."""
    score: float = Field(ge=0.0, le=1.0)
    """0 (worst) to 1 (best): a judge's score over its scale, or the share of checks passed."""
    case: str = ""
    """The eval case."""
    scorer: str = ""
    """What scored it: ``checks``, or the judge agent's name."""


class EvalScores(Contract):
    """An eval suite's scores, as ``podium eval`` hands them over."""

    suite: str = Field(min_length=1)
    spec: str = ""
    """The spec the suite ran (``podium stats --spec`` filters on it)."""
    scores: list[EvalScore] = Field(default_factory=list)


@workflow.defn(name=WORKFLOW_NAME)
class PodiumEvalScores:
    """Records an eval suite's scores as metrics; its result is the scores."""

    @workflow.run
    async def run(self, scores: EvalScores) -> EvalScores:
        """Record every score on ``podium_eval_score`` and return them."""
        histogram = EVAL_SCORE.histogram(workflow.metric_meter())
        for one in scores.scores:
            histogram.record(one.score, {"agent": one.agent, "suite": scores.suite})
        return scores
