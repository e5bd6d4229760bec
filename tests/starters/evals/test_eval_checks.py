"""`podium eval` against runs that do not do what the suite expects: every failed check
says what it found, the case fails (exit 1), JUnit carries the failure; with a baseline
only regressions fail, improvements and known failures are listed."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from podium.starters.commands import eval as eval_command

from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("worker")

HEAD = f"""
spec: {ROOT}/specs/support_triage.yaml
offline: true
judges: {ROOT}/evals/judges.yaml
cases:
"""
BILLING_WRONG = f"""
  - name: billing
    input_file: {ROOT}/specs/inputs/support_triage.json
    expect:
      output:
        - {{jmespath: output.category, equals: technical}}
        - {{jmespath: output.reply, contains: "within a day"}}
        - {{regex: "^Dear", at: output.reply}}
        - schema: {{type: object, required: [category, reply, ticket]}}
        - {{jmespath: "length(output.nothing)", equals: 0}}
      trajectory:
        agents: [technical-specialist]
        not_agents: [billing-specialist]
        cost_usd_max: 0.00001
        tokens_max: 10
        approvals: 1
      judge:
        - {{agent: reply-judge, rubric: "apologises and says what comes next", at: output.reply,
            min_score: 0.95}}
"""
BILLING_RIGHT = f"""
  - name: billing
    input_file: {ROOT}/specs/inputs/support_triage.json
    expect:
      output: [{{jmespath: output.category, equals: billing}}]
"""
RETURNS = """
  - name: returns
    input: {{name: Ploy, message: "I would like to return the shoes"}}
    expect:
      output: [{{jmespath: output.category, equals: {category}}}]
"""


def suite(tmp_path: Path, *cases: str, name: str = "suite.yaml") -> str:
    path = tmp_path / name
    path.write_text(HEAD + "".join(cases))
    return str(path)


async def evaluate(client, path: str, **options) -> tuple[int, str]:
    out = io.StringIO()
    code = await eval_command.main(client, suite=path, out=out, **options)
    return code, out.getvalue()


async def test_every_failed_check_says_what_it_found(client, tmp_path):
    path = suite(tmp_path, BILLING_WRONG, RETURNS.format(category="returns"))
    junit = tmp_path / "junit.xml"
    code, out = await evaluate(client, path, junit_path=str(junit))
    assert code == 1, out
    assert "1 passed, 1 failed" in out
    for line in (
        'output.category equals "technical" — it is "billing"',
        'output.reply contains "within a day" — it is "Hi Siti, sorry for the trouble.',
        'output.reply matches /^Dear/ — it is "Hi Siti,',
        "output matches the schema — (root): 'ticket' is a required property",
        "length(output.nothing) equals 0 — the expression could not be evaluated",
        "agents called in order: technical-specialist — called: triage → billing-specialist →",
        "agent billing-specialist is never called — called 1×",
        "1 approval asked — none asked",
        "judge reply-judge scored 0.90 < 0.95: apologises, answers the request",
    ):
        assert line in out, line
    assert re.search(r"cost at most \$0\.00001 — \$0\.000\d+\n", out)
    assert re.search(r"tokens at most 10 — \d{3}\n", out)
    assert "✗ billing (run support_triage-eval-" in out and "✗ returns" not in out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    failure = cases["billing"].find("failure")
    assert failure is not None and failure.get("type") == "EvalFailure"
    assert failure.get("message") == 'output.category equals "technical" — it is "billing"'
    assert "tokens at most 10 — " in (failure.text or "")
    assert cases["returns"].find("failure") is None


async def test_a_baseline_fails_only_on_regressions(client, tmp_path):
    before = tmp_path / "before.json"
    failing = suite(tmp_path, BILLING_WRONG, RETURNS.format(category="returns"))
    code, _ = await evaluate(client, failing, json_path=str(before))
    assert code == 1
    assert [c["passed"] for c in json.loads(before.read_text())["cases"]] == [False, True]

    code, out = await evaluate(client, failing, baseline=str(before))
    assert code == 0, out  # billing failed before too: known, not a regression
    assert "still failing: billing" in out and "regressions" not in out

    swapped = suite(tmp_path, BILLING_RIGHT, RETURNS.format(category="billing"), name="2.yaml")
    code, out = await evaluate(client, swapped, baseline=str(before))
    assert code == 1, out
    assert "regressions (passed in the baseline, fail now): returns" in out
    assert "improvements (failed in the baseline, pass now): billing" in out


async def test_a_new_failing_case_is_a_regression(client, tmp_path):
    before = tmp_path / "before.json"
    code, _ = await evaluate(client, suite(tmp_path, BILLING_RIGHT), json_path=str(before))
    assert code == 0
    grown = suite(tmp_path, BILLING_RIGHT, RETURNS.format(category="other"), name="2.yaml")
    code, out = await evaluate(client, grown, baseline=str(before))
    assert code == 1
    assert "regressions (passed in the baseline, fail now): returns" in out
    assert "new since the baseline: returns" in out


async def test_a_baseline_that_is_not_a_result_is_refused(client, tmp_path, capsys):
    (tmp_path / "junk.json").write_text('{"format": "podium.run-report/1"}')
    code, _ = await evaluate(
        client, suite(tmp_path, BILLING_RIGHT), baseline=str(tmp_path / "junk.json")
    )
    assert code == 2
    assert "is not a podium eval result" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_on_a_terminal_a_progress_bar_stands_in_for_the_lines(client, tmp_path):
    out = Terminal()
    code = await eval_command.main(client, suite=suite(tmp_path, BILLING_RIGHT), out=out)
    drawn = out.getvalue()
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", drawn)  # without colours and cursor moves
    assert code == 0, text
    assert "[1/1]" not in text  # no plain per-case line
    assert "eval suite" in text and "1/1 cases · 0 failed" in text  # the bar, drawn
    assert "\x1b[" in drawn and "1 passed, 0 failed" in text
