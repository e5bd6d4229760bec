"""What an eval run found: one ``CaseResult`` per case, the ``SuiteResult`` around them
(``--json`` writes it: ``"format": "podium.eval-results/1"``; fields may be added, never
renamed or removed), and how it compares with an earlier result (``--baseline``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from podium.starters.evals.checks import CheckResult
from podium.starters.evals.judge import JudgeResult
from podium.workflows.eval_scores import EvalScore, EvalScores
from pydantic import BaseModel, Field, ValidationError

RESULTS_FORMAT = "podium.eval-results/1"


class CaseResult(BaseModel):
    """One case: its run, whether every check held, and what each found."""

    name: str
    passed: bool = False
    run_id: str | None = None
    status: str = "error"
    """How the run ended (``completed``, ``failed``, ``cancelled``), or ``error`` when the
    case could not run or its run could not be read (``error`` says why)."""
    error: str | None = None
    duration_ms: float | None = None
    """The case's wall-clock time: its run, the answers from people, reading, judging."""
    cost_usd: float = 0.0
    """The run's cost (judges not included: ``judge_cost_usd``)."""
    tokens: int = 0
    agents: list[str] = Field(default_factory=list)
    """The agents the run called, each once, in the order first called."""
    judge_cost_usd: float = 0.0
    checks: list[CheckResult] = Field(default_factory=list)
    judges: list[JudgeResult] = Field(default_factory=list)
    unrecorded: list[str] = Field(default_factory=list)
    """``--replay``: the calls no recording answered, and what changed since."""

    def failures(self) -> list[str]:
        """One line per thing that went wrong: ``what — found``."""
        lines = [f"error: {self.error}"] if self.error else []
        lines += [f"unrecorded: {call}" for call in self.unrecorded]
        for check in self.checks:
            if not check.passed:
                lines.append(f"{check.what} — {check.detail}" if check.detail else check.what)
        for judge in self.judges:
            if judge.passed:
                continue
            if judge.score is None:
                lines.append(f"judge {judge.agent}: {judge.error}")
            else:
                lines.append(
                    f"judge {judge.agent} scored {judge.score:.2f} < {judge.min_score:g}: "
                    f"{judge.reason}"
                )
        return lines


class SuiteResult(BaseModel):
    """Every case of one ``podium eval`` of a suite."""

    format: str = RESULTS_FORMAT
    suite: str
    file: str
    spec: str
    offline: bool = False
    started_at: datetime
    duration_ms: float = 0.0
    passed: int = 0
    failed: int = 0
    cost_usd: float = 0.0
    judge_cost_usd: float = 0.0
    cases: list[CaseResult] = Field(default_factory=list)

    def total(self) -> None:
        """Set the counts and sums from ``cases``."""
        self.passed = sum(1 for c in self.cases if c.passed)
        self.failed = len(self.cases) - self.passed
        self.cost_usd = round(sum(c.cost_usd for c in self.cases), 8)
        self.judge_cost_usd = round(sum(c.judge_cost_usd for c in self.cases), 8)


@dataclass
class Comparison:
    """How this result compares with a baseline, case by case (matched by name)."""

    regressions: list[str] = field(default_factory=list)
    """Passed in the baseline (or not there), failed now."""
    improvements: list[str] = field(default_factory=list)
    """Failed in the baseline, passed now."""
    still_failing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    """Not in the baseline."""
    gone: list[str] = field(default_factory=list)
    """In the baseline, not in this suite any more."""
    scores: list[str] = field(default_factory=list)
    """Judge scores that moved: ``case: judge 0.60 → 0.90``."""
    cost: str = ""
    """What the runs cost then and now, when it changed."""


def compare(current: SuiteResult, baseline: SuiteResult) -> Comparison:
    """What got worse and what got better since ``baseline``. A case new since the
    baseline that fails is a regression: nothing vouched for it failing."""
    before = {case.name: case.passed for case in baseline.cases}
    found = Comparison()
    for case in current.cases:
        was = before.get(case.name)
        if was is None:
            found.new.append(case.name)
        if case.passed and was is False:
            found.improvements.append(case.name)
        elif not case.passed and was is False:
            found.still_failing.append(case.name)
        elif not case.passed:
            found.regressions.append(case.name)
    names = {case.name for case in current.cases}
    found.gone = [name for name in before if name not in names]
    found.scores = _moved_scores(current, baseline)
    if round(current.cost_usd, 6) != round(baseline.cost_usd, 6):
        found.cost = f"${baseline.cost_usd:.6f} → ${current.cost_usd:.6f}"
    return found


def _moved_scores(current: SuiteResult, baseline: SuiteResult) -> list[str]:
    """``case: judge 0.60 → 0.90`` for each judge whose score moved by 0.01 or more."""
    then = {
        (case.name, n, j.agent): j.score
        for case in baseline.cases
        for n, j in enumerate(case.judges)
    }
    lines = []
    for case in current.cases:
        for n, judge in enumerate(case.judges):
            was = then.get((case.name, n, judge.agent))
            if was is None or judge.score is None or abs(judge.score - was) < 0.01:
                continue
            lines.append(f"{case.name}: {judge.agent} {was:.2f} → {judge.score:.2f}")
    return lines


def eval_scores(result: SuiteResult) -> EvalScores:
    """The suite's scores per agent, for ``podium_eval_score`` and ``podium stats``: each
    judge's score for the agent it judged (``scorer``: the judge), and each case's share
    of checks that held for every agent its run called (``scorer``: ``checks``)."""
    scores: list[EvalScore] = []
    for case in result.cases:
        if case.checks and case.error is None:
            share = sum(1 for c in case.checks if c.passed) / len(case.checks)
            scores += [
                EvalScore(agent=agent, score=share, case=case.name, scorer="checks")
                for agent in case.agents
            ]
        scores += [
            EvalScore(agent=j.about or j.agent, score=j.score, case=case.name, scorer=j.agent)
            for j in case.judges
            if j.score is not None
        ]
    return EvalScores(suite=result.suite, spec=result.spec, scores=scores)


def read_results(path: Path) -> SuiteResult:
    """An earlier ``--json`` result.

    Raises:
        ValueError: unreadable, or not a ``podium.eval-results`` file (says which).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("format", "")).startswith(
        "podium.eval-results/"
    ):
        raise ValueError(
            f"{path} is not a podium eval result (written by podium eval --json; its "
            f'"format" is {RESULTS_FORMAT!r})'
        )
    try:
        return SuiteResult.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path} is not a podium eval result: {exc.errors()[0]['msg']}") from None


def to_json(result: SuiteResult) -> str:
    """The result as indented JSON."""
    return json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
