"""Each agent's accuracy in a run's state and in ``podium stats``: contract failures and
repairs, reviewer verdicts in refine, people's decisions, eval scores."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters import eval_scores
from podium.starters.commands import stats
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.eval_scores import EvalScore, EvalScores
from podium.workflows.humans import DecisionInput
from podium.workflows.state import AgentAccuracy, RunState
from pydantic import ValidationError

from tests.support.accuracy_runs import run_probe
from tests.support.polling import eventually
from tests.support.tool_specs import spec as quote_spec

pytestmark = pytest.mark.usefixtures("worker")


async def test_a_run_counts_each_agents_accuracy(client, write_spec):
    result = await run_probe(client, write_spec)
    agents = result.state.agents
    # its first answer failed the schema, the repair round's passed; qa rejected its work
    assert agents["summariser"].accuracy == AgentAccuracy(
        contract_failures=1, repairs=1, human_rejected=1
    )
    # the critic sent the first draft back and accepted the apology
    assert agents["writer"].accuracy == AgentAccuracy(reviews_accepted=1, reviews_rejected=1)
    assert agents["critic"].accuracy == AgentAccuracy()
    assert result.output["summary"] == {"summary": "refunds take 5 days"}


async def test_a_declined_tool_call_counts_against_the_agent_that_asked(
    client, write_spec, tool_log
):
    send = {
        "when": "turn == `1`",
        "tool_calls": [{"name": "send_quote", "arguments": {"customer": "Kopi Pay", "total": 9}}],
    }
    script = [send, {"output": "{{ tool_results.send_quote.error }}"}]
    plan = compile_spec(write_spec(quote_spec(script, ["send_quote"])))
    handle = await start_run(client, plan, {})

    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    request = (await eventually(asked, "the tool call's request")).open_requests()[0]
    await send_decision(
        handle, DecisionInput(request_id=request.id, outcome="reject", by="deal-desk")
    )
    result = await handle.result()
    assert result.state.agents["quoter"].accuracy == AgentAccuracy(human_rejected=1)


async def test_stats_show_accuracy_per_agent_with_eval_scores(client, write_spec):
    name = f"accuracy_{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        await run_probe(client, write_spec, name)
    scores = [EvalScore(agent="writer", score=s, case=f"c{i}") for i, s in enumerate((0.5, 1.0))]
    recorded = await eval_scores.record(client, EvalScores(suite="s", spec=name, scores=scores))
    await recorded.result()  # a worker recorded them

    async def counted() -> stats.Stats | None:
        found = await stats.gather(client, name, 3600)
        writer = next((a for a in found.agents if a.name == "writer"), None)
        return found if found.runs == 2 and writer and writer.eval_scores == 2 else None

    found = await eventually(counted, "stats to see 2 runs and 2 eval scores", 20, every=0.3)
    rows = {a.name: a for a in found.agents}
    summariser, writer = rows["summariser"], rows["writer"]
    assert (summariser.contract_failures, summariser.repairs) == (2, 2)
    assert summariser.contract_failure_rate == pytest.approx(2 / 4)  # 2 valid, 2 invalid
    assert summariser.repair_rate == 1.0
    assert summariser.human_rejection_rate == 1.0
    assert writer.review_acceptance == pytest.approx(0.5)
    assert writer.eval_score == pytest.approx(0.75)
    assert rows["critic"].review_acceptance is None  # nobody reviewed the critic

    out = io.StringIO()
    assert await stats.main(client, name, "1h", out=out) == 0
    text = out.getvalue()
    header = r"^ACCURACY\s+INVALID\s+REPAIRED\s+REVIEWS OK\s+PEOPLE REJECTED\s+EVAL SCORE$"
    assert re.search(header, text, re.MULTILINE), text
    assert re.search(r"^summariser\s+50\.0%\s+2/2\s+-\s+2/2\s+-$", text, re.MULTILINE), text
    assert re.search(r"^writer\s+0\.0%\s+-\s+2/4\s+-\s+0\.75 \(2\)$", text, re.MULTILINE), text


def test_an_eval_score_outside_0_to_1_is_refused():
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        EvalScore(agent="writer", score=4)
