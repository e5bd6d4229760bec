"""Judge scorers: a catalog agent reads a case's run and scores it against a rubric.

The judge is asked like the planner is (``starters.asking``), from the eval process,
with this answer schema: ``{"score": 0..1, "reason": "..."}``. It is told:

- ``rubric``: what a good answer does, from the suite;
- ``answer``: the value at the judge's ``at`` (default: the run's output);
- ``input``: the case's run input;
- ``reference``: the suite's reference answer, when it gives one.

A score below ``min_score`` fails the case; so does a judge that cannot answer (its
error is the reason). The score, reason, tokens and cost are kept in the results; the
scores reach ``podium_eval_score`` and ``podium stats`` through ``results.eval_scores``.
"""

from __future__ import annotations

from typing import Any

from jmespath.exceptions import JMESPathError
from podium.activities.cassette import Cassette
from podium.activities.contracts import AgentConfig
from podium.activities.errors import AgentCallError
from podium.starters.asking import ask_agent
from podium.starters.evals.record import RunRecord
from podium.starters.evals.suite import JudgeCheck
from podium.workflows.expressions import evaluate
from pydantic import BaseModel

ANSWER = {
    "type": "object",
    "required": ["score", "reason"],
    "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1, "description": "1 is best"},
        "reason": {"type": "string", "description": "why, in a sentence or two"},
    },
}


class JudgeResult(BaseModel):
    """One judge's verdict on one case."""

    agent: str
    """The judge."""
    about: str = ""
    """The agent whose work was judged (the agent its score is recorded for)."""
    rubric: str
    at: str
    min_score: float
    score: float | None = None
    reason: str = ""
    passed: bool = False
    error: str | None = None
    """Why the judge gave no score (then the case fails)."""
    tokens: int = 0
    cost_usd: float = 0.0
    offline: bool = False


async def judge_run(
    check: JudgeCheck,
    agent: AgentConfig,
    record: RunRecord,
    *,
    key: str,
    cassette: Cassette | None = None,
) -> JudgeResult:
    """Ask ``agent`` to score ``record`` against ``check``'s rubric (``key``: names the
    call, e.g. ``<suite>/<case>/judge-1``; ``cassette``: answered through it)."""
    result = JudgeResult(
        agent=check.agent, rubric=check.rubric, at=check.at, min_score=check.min_score
    )
    try:
        answer = evaluate(check.at, record.scope())
    except JMESPathError as exc:
        result.error = f"{check.at} could not be evaluated: {exc}".splitlines()[0]
        return result
    inputs: dict[str, Any] = {"rubric": check.rubric, "answer": answer, "input": record.input}
    if check.reference is not None:
        inputs["reference"] = check.reference
    asker = agent.model_copy(update={"output_schema": ANSWER})
    try:
        reply = await ask_agent(
            asker,
            inputs,
            run_id=record.run_id,
            step_id=f"judge {agent.name}",
            key=key,
            through=cassette.provider if cassette is not None else None,
        )
    except AgentCallError as exc:
        result.error = f"the judge failed: {type(exc).__name__}: {exc}"
        return result
    except TimeoutError:
        result.error = f"the judge did not answer within {agent.timeout_s:g}s"
        return result
    result.tokens, result.cost_usd = reply.usage.total_tokens, reply.cost_usd
    result.offline = reply.offline
    verdict = reply.output if isinstance(reply.output, dict) else {}
    score = verdict.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        result.error = f"the judge's score is not a number from 0 to 1: {score!r}"
        return result
    result.score = float(score)
    result.reason = str(verdict.get("reason") or "")
    result.passed = result.score >= check.min_score
    return result
