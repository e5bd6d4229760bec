"""A suite is checked before anything runs: every problem at once, each with its line and
a hint, `podium eval` exits 2 and starts nothing; the editor schema fits the samples;
the scores handed to the workers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from podium.compiler.problems import CompileError
from podium.compiler.yamlfile import SpecLoader
from podium.starters.commands import eval as eval_command
from podium.starters.evals.checks import CheckResult
from podium.starters.evals.judge import JudgeResult
from podium.starters.evals.results import CaseResult, SuiteResult, eval_scores
from podium.starters.evals.suite import EVAL_SCHEMA_FILE, suite_schema
from podium.starters.evals.suite_file import load_suite

from tests.conftest import ROOT


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(CompileError) as caught:
        load_suite(path)
    return [str(p).replace(str(path), "suite.yaml") for p in caught.value.problems]


BAD = f"""spec: {ROOT}/specs/support_triage.yaml
offline: true
judges: {ROOT}/evals/judges.yaml
cases:
  - name: one
    input: {{name: Siti}}
    expect:
      output:
        - {{jmespath: "output.category ==", equals: billing}}
        - {{regex: "([", at: output.reply}}
        - {{schema: {{type: objekt}}}}
      trajectory: {{agents: [triag], tools: [send_mail]}}
      judge: [{{agent: reply-judges, rubric: polite, about: reply-writr}}]
    answers: [{{step: signof}}]
  - name: one
    input: {{name: Siti, message: hi}}
"""


def test_every_problem_is_reported_with_its_line_and_a_hint(tmp_path):
    problems = problems_of(tmp_path, BAD)
    text = "\n".join(problems)
    assert (
        "suite.yaml:6: cases[0].input: run input does not match spec 'support_triage': "
        "(root): 'message' is a required property" in text
    )
    assert "suite.yaml:9: cases[0].expect.output[0].jmespath: invalid JMESPath expression" in text
    assert "suite.yaml:10: cases[0].expect.output[1].regex: not a regular expression" in text
    assert "suite.yaml:11: cases[0].expect.output[2].schema: not a JSON Schema" in text
    assert (
        "suite.yaml:12: cases[0].expect.trajectory.agents[0]: the spec's agents call no "
        "agent 'triag'" in text
    )
    assert "did you mean 'triage'?" in text
    assert "cases[0].expect.trajectory.tools[0]: the spec's agents call no tool 'send_mail'" in text
    assert "suite.yaml:13: cases[0].expect.judge[0].agent: no judge agent 'reply-judges'" in text
    assert "did you mean 'reply-judge'?" in text
    assert "cases[0].expect.judge[0].about: the spec calls no agent 'reply-writr'" in text
    assert "suite.yaml:14: cases[0].answers[0].step: the spec has no step 'signof'" in text
    assert "suite.yaml:15: cases[1].name: a second case named 'one'" in text
    assert len(problems) == 10, text
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)  # in the file's order


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cases: []\n", "suite.yaml:1: spec: missing required key 'spec'"),
        (
            f"spec: {ROOT}/specs/support_triage.yaml\ncases: []\n",
            "suite.yaml:2: cases: needs at least 1 item, got a list of 0 items",
        ),
        (
            f"spec: {ROOT}/specs/support_triage.yaml\ncases:\n  - name: a\n    expect:\n"
            "      output: [{jmespath: output, regex: x}]\n",
            "exactly one of schema, jmespath or regex (this one has jmespath, regex)",
        ),
        (
            f"spec: {ROOT}/specs/support_triage.yaml\ncases:\n  - name: a\n    expect:\n"
            "      output: [{regex: x, equals: 1}]\n",
            "equals goes with jmespath",
        ),
        (
            f"spec: {ROOT}/specs/support_triage.yaml\ncases:\n  - {{name: a, timeout: soon}}\n",
            "'soon' is not a duration",
        ),
        (
            f"spec: {ROOT}/specs/support_triage.yaml\ncasez: []\n",
            "suite.yaml:2: casez",
        ),
        ("spec: [unclosed\n", "suite.yaml:2: not valid YAML"),
        ("spec: nowhere.yaml\ncases: [{name: a}]\n", "suite.yaml:1: spec: the spec nowhere"),
    ],
)
def test_a_wrong_suite_says_where(tmp_path, text, expected):
    assert expected in "\n".join(problems_of(tmp_path, text))


async def test_podium_eval_exits_2_and_starts_nothing(tmp_path, capsys):
    path = tmp_path / "suite.yaml"
    path.write_text(BAD)
    out = io.StringIO()
    code = await eval_command.main(None, suite=str(path), out=out, address="127.0.0.1:1")
    assert code == 2 and out.getvalue() == ""  # refused before connecting anywhere
    err = capsys.readouterr().err
    assert err.startswith("podium eval: nothing ran.\n10 problems found:\n")


def test_the_shipped_editor_schema_is_up_to_date_and_fits_the_samples():
    shipped = json.loads((ROOT / "schema" / EVAL_SCHEMA_FILE).read_text())
    assert shipped == json.loads(json.dumps(suite_schema())), "run `podium schema` to refresh it"
    validator = Draft202012Validator(shipped)
    for path in sorted((ROOT / "evals").glob("*.yaml")):
        data = yaml.load(path.read_text(), Loader=SpecLoader)  # noqa: S506 - a SafeLoader
        if "cases" in data:  # (judges.yaml is a catalog)
            validator.validate(data)
            assert path.read_text().startswith(
                "# yaml-language-server: $schema=../schema/podium-eval.schema.json"
            )
    assert not validator.is_valid({"spec": "x.yaml", "cases": [{"name": "a", "expekt": {}}]})


def test_scores_per_agent_are_the_judges_and_each_cases_share_of_checks():
    result = SuiteResult(suite="s", file="s.yaml", spec="x", started_at=datetime.now(UTC))
    result.cases = [
        CaseResult(
            name="half",
            agents=["triage", "writer"],
            checks=[CheckResult(kind="output", what="a", passed=True)]
            + [CheckResult(kind="output", what="b", passed=False)],
            judges=[JudgeResult(agent="judge", about="writer", rubric="r", at="o", min_score=0.5)],
        ),
        CaseResult(name="broken", agents=["triage"], error="no run", checks=[]),
    ]
    result.cases[0].judges[0].score = 0.75
    scores = eval_scores(result)
    assert (scores.suite, scores.spec) == ("s", "x")
    assert [(s.agent, s.score, s.case, s.scorer) for s in scores.scores] == [
        ("triage", 0.5, "half", "checks"),
        ("writer", 0.5, "half", "checks"),
        ("writer", 0.75, "half", "judge"),
    ]
