"""Cases whose runs ask people, call tools, are supervised, hang or end badly: the case
answers as it says (or fails and cancels the run when it cannot), tools and approvals
are checked in order, a supervisor's turns are counted, a run past its timeout is
cancelled, a run expected to fail passes, and a judge that cannot score fails the case."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from podium.starters.commands import eval as eval_command
from temporalio.client import WorkflowExecutionStatus

from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("worker")


async def evaluate(client, tmp_path: Path, text: str) -> tuple[int, str, dict]:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    out = io.StringIO()
    results = tmp_path / "results.json"
    code = await eval_command.main(client, suite=str(path), out=out, json_path=str(results))
    found = json.loads(results.read_text())
    return code, out.getvalue(), {case["name"]: case for case in found["cases"]}


async def test_approvals_are_answered_as_the_case_says_or_the_run_is_cancelled(client, tmp_path):
    code, out, cases = await evaluate(
        client,
        tmp_path,
        f"""
spec: {ROOT}/specs/deal_review.yaml
offline: true
cases:
  - name: approved
    input_file: {ROOT}/specs/inputs/deal_review.json
    answers: [{{step: signoff, outcome: approve, comment: board agreed}}]
    expect:
      output:
        - {{jmespath: output.decision.approved, equals: true}}
        - {{jmespath: output.decision.comment, equals: board agreed}}
      trajectory: {{approvals: [signoff], agents: [risk-aggregator]}}
  - name: rejected by id
    input_file: {ROOT}/specs/inputs/deal_review.json
    answers: [{{step: signoff-1, outcome: reject, by: deal-desk}}]
    expect:
      output: [{{jmespath: output.decision.approved, equals: false}}]
  - name: nobody answers
    input_file: {ROOT}/specs/inputs/deal_review.json
  - name: the wrong person answers
    input_file: {ROOT}/specs/inputs/deal_review.json
    answers: [{{step: signoff, by: intruder}}]
  - name: a small deal asks nobody
    input: {{company: Kecil, deal_terms: standard terms, amount_usd: 5000}}
    expect:
      trajectory: {{approvals: 0}}
""",
    )
    assert code == 1, out
    assert cases["approved"]["passed"] and cases["rejected by id"]["passed"]
    assert cases["a small deal asks nobody"]["passed"]
    silent = cases["nobody answers"]
    assert not silent["passed"] and silent["status"] == "cancelled"
    assert silent["error"].startswith(
        "the run asked people at step 'signoff' (signoff-1: High-risk deal: Nusantara "
        "Logistics (2500000 USD)) and the case has no answer for it"
    )
    assert silent["error"].endswith("; the run was cancelled")
    handle = client.get_workflow_handle(silent["run_id"])
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    intruder = cases["the wrong person answers"]
    assert intruder["error"].startswith("the case's answer to signoff-1 was refused: ")
    assert "intruder" in intruder["error"]
    assert "error: the run asked people at step 'signoff'" in out


async def test_tool_calls_and_a_tool_approval_are_checked_in_order(client, tmp_path):
    code, out, cases = await evaluate(
        client,
        tmp_path,
        f"""
spec: {ROOT}/specs/asean_quote.yaml
offline: true
cases:
  - name: quote sent once approved
    input_file: {ROOT}/specs/inputs/asean_quote.json
    answers: [{{step: quote, by: deal-desk}}]
    expect:
      output: [{{jmespath: output.sent, equals: true}}, {{jmespath: output.currency, equals: THB}}]
      trajectory:
        tools: [vat_rate, fx_rate, holidays, send_quote]
        order: exact
        approvals: [quote]
  - name: send before looking up
    input_file: {ROOT}/specs/inputs/asean_quote.json
    answers: [{{step: quote, by: deal-desk}}]
    expect:
      trajectory: {{tools: [send_quote, vat_rate], not_tools: [send_quote]}}
""",
    )
    assert code == 1, out
    assert cases["quote sent once approved"]["passed"], out
    checks = {c["what"]: c for c in cases["send before looking up"]["checks"]}
    order = checks["tools called in order: send_quote → vat_rate"]
    assert not order["passed"]
    assert order["detail"] == "called: vat_rate → fx_rate → holidays → send_quote"
    assert checks["tool send_quote is never called"]["detail"] == "called 1×"


async def test_supervisor_turns_are_counted(client, tmp_path):
    code, out, cases = await evaluate(
        client,
        tmp_path,
        f"""
spec: {ROOT}/specs/border_incident.yaml
offline: true
cases:
  - name: five turns
    input_file: {ROOT}/specs/inputs/border_incident.json
    answers: [{{step: resolve, by: logistics-duty, comment: pay it}}]
    expect:
      output: [{{jmespath: output.status, equals: released}}]
      trajectory:
        supervisor_turns_max: 5
        agents: [incident-lead, customs-th, incident-lead, customs-my, incident-lead]
  - name: four turns are too few
    input_file: {ROOT}/specs/inputs/border_incident.json
    answers: [{{step: resolve, by: logistics-duty}}]
    expect:
      trajectory: {{supervisor_turns_max: 4}}
""",
    )
    assert code == 1, out
    assert cases["five turns"]["passed"], out
    [turns] = [c for c in cases["four turns are too few"]["checks"] if c["kind"] == "trajectory"]
    assert turns["what"] == "supervisor turns at most 4" and turns["detail"] == "5"


INLINE = """
name: eval_inline
agents:
  agents:
    slow: {model: scripted, latency: 20s, script: [{output: late}]}
    wrong:
      model: scripted
      output: {type: object, required: [answer]}
      repair_attempts: 0
      retry: {max_attempts: 1}
      script: [{output: {reply: "not what the schema asks"}}]
    fine: {model: scripted, script: [{output: done}]}
steps:
  - {id: first, agent: PICK}
"""


async def test_timeouts_failed_runs_and_judges_that_cannot_score(client, tmp_path):
    for name in ("slow", "wrong", "fine"):
        (tmp_path / f"{name}.yaml").write_text(INLINE.replace("PICK", name))
    (tmp_path / "judges.yaml").write_text(
        'agents: {scorer: {model: scripted, script: [{output: {score: high, reason: "a word"}}]}}'
    )
    code, out, cases = await evaluate(
        client,
        tmp_path,
        """
spec: slow.yaml
cases:
  - name: too slow
    timeout: 1s
""",
    )
    assert code == 1
    slow = cases["too slow"]
    assert slow["status"] == "cancelled"
    assert slow["error"] == "the run took longer than 1s; the run was cancelled"
    code, out, cases = await evaluate(
        client,
        tmp_path,
        """
spec: wrong.yaml
cases:
  - name: expected to fail
    expect: {status: failed}
  - name: expected to complete
    expect:
      output: [{jmespath: output, equals: done}]
""",
    )
    assert code == 1
    assert cases["expected to fail"]["passed"]
    checks = cases["expected to complete"]["checks"]
    assert checks[0]["what"] == "the run ends completed" and not checks[0]["passed"]
    assert checks[0]["detail"].startswith("failed: step 'first' (agent 'wrong') failed")
    assert checks[1]["detail"] == "not checked: the run failed"
    code, out, cases = await evaluate(
        client,
        tmp_path,
        """
spec: fine.yaml
judges: judges.yaml
cases:
  - name: judged by a scorer that cannot score
    expect:
      judge: [{agent: scorer, rubric: "says done"}]
""",
    )
    assert code == 1
    [verdict] = cases["judged by a scorer that cannot score"]["judges"]
    assert verdict["score"] is None and verdict["error"].startswith(
        "the judge failed: OutputSchemaError"
    )
    assert "judge scorer: the judge failed: OutputSchemaError" in out
