"""A change described in words, drafted by the planner (the scripted model, at the model's
edge): the proposal is the spec's own text with only the changed lines changed, comments
kept, and it compiles; an answer the compiler refuses goes back with its problems, and a
revision that never compiles says why. Nothing is saved."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from podium.compiler.spec_editing import SpecEditor
from podium.starters.plan_changes import catalog_files_of, revise
from podium.starters.planning import PlanningError, find_planner

from tests.compiler.test_spec_editing import changed_lines
from tests.conftest import ROOT

CHANGE = "add a compliance check by the legal analyst after risk"
COMPLIANCE = {
    "id": "compliance",
    "agent": "legal-analyst",
    "with": {"terms": "input.deal_terms", "risk": "steps.risk.output"},
}


@pytest.fixture
def deal(tmp_path: Path) -> Path:
    """A copy of deal_review beside its catalog (the spec names ../agents/deal.yaml)."""
    for folder in ("specs", "agents"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path / "specs" / "deal_review.yaml"


def revised(path: Path, agent: str = "legal-analyst") -> dict:
    """deal_review as the planner should answer it: a compliance step after risk."""
    spec = copy.deepcopy(SpecEditor.open(path).get(()))
    del spec["agents"]  # the rules say: do not write it
    spec["steps"].insert(2, {**COMPLIANCE, "agent": agent})
    spec["output"]["compliance"] = "steps.compliance.output"
    return spec


def raw(value):
    """A scripted answer's text as it is: the scripted model renders ``{{ }}`` in its
    answers (to echo its inputs), and the spec's own templates must come back unrendered."""
    if isinstance(value, dict):
        return {k: raw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [raw(v) for v in value]
    if isinstance(value, str) and "{{" in value:
        return "{% raw %}" + value + "{% endraw %}"
    return value


def planner(tmp_path: Path, script: list[dict]):
    """A scripted planner (test-only answers, at the model's edge) in a catalog of its own."""
    entry = {
        "model": "scripted",
        "capabilities": ["planning"],
        "price": {"input_per_mtok": 1.0, "output_per_mtok": 4.0},
        "script": script,
    }
    path = tmp_path / "planner.yaml"
    path.write_text(yaml.safe_dump({"agents": {"drafter": entry}}, sort_keys=False))
    return find_planner([path], None, True)


async def propose(deal: Path, script: list[dict], **kw):
    files = [deal.parent.parent / "agents" / "deal.yaml"]
    agent = planner(deal.parent.parent, script)
    return await revise(deal, deal.read_text(), CHANGE, files, agent, offline=True, **kw)


async def test_a_revision_differs_from_the_spec_only_in_the_added_lines(deal):
    original = deal.read_text()
    told = "current.name == 'deal_review' && contains(change, 'compliance')"  # it was told
    answer = {"when": told, "output": {"spec": raw(revised(deal)), "notes": "after risk"}}
    revision = await propose(deal, [answer])
    assert revision.plan is not None and revision.problems == []
    assert [s.id for s in revision.plan.steps] == ["reviews", "risk", "compliance", "signoff"]
    assert revision.plan.source == str(deal)
    assert revision.text is not None
    assert changed_lines(original, revision.text) == [
        "+  - id: compliance",
        "+    agent: legal-analyst",
        "+    with:",
        "+      terms: input.deal_terms",
        "+      risk: steps.risk.output",
        "+  compliance: steps.compliance.output",
    ]
    assert revision.text.startswith(original.split("name:")[0])  # the header comments
    assert "agents: ../agents/deal.yaml" in revision.text
    assert revision.notes == "after risk" and len(revision.rounds) == 1
    assert revision.offline and revision.cost_usd > 0
    assert deal.read_text() == original  # a proposal, not saved
    assert sorted(p.name for p in deal.parent.iterdir()) == sorted(
        p.name for p in (ROOT / "specs").iterdir()
    )  # nothing left beside the spec


async def test_an_answer_that_does_not_compile_goes_back_with_its_problems(deal):
    wrong = {"when": "round == `1`", "output": {"spec": raw(revised(deal, "compliance-bot"))}}
    fixed = {
        "when": "previous",
        "output": {"spec": raw(revised(deal)), "notes": "fixed: {{ previous.problems }}"},
    }
    revision = await propose(deal, [wrong, fixed])
    first, second = revision.rounds
    assert any("unknown agent 'compliance-bot'" in p for p in first.problems)
    assert any("deal_review.yaml:" in p for p in first.problems)  # named as the spec's file
    assert "unknown agent 'compliance-bot'" in revision.notes  # the planner was told
    assert second.problems == [] and revision.plan is not None
    assert "agent: legal-analyst" in revision.text.split("id: compliance")[1]


async def test_a_revision_that_never_compiles_reports_the_last_problems(deal):
    original = deal.read_text()
    wrong = {"output": {"spec": raw(revised(deal, "compliance-bot"))}}
    revision = await propose(deal, [wrong], max_rounds=2)
    assert revision.plan is None and len(revision.rounds) == 2
    assert any("unknown agent 'compliance-bot'" in p for p in revision.problems)
    assert "agent: compliance-bot" in (revision.text or "")  # the proposal, to show
    assert deal.read_text() == original


async def test_the_planner_cannot_switch_the_spec_to_another_catalog(deal, tmp_path):
    other = {**revised(deal), "agents": str(tmp_path / "planner.yaml")}
    revision = await propose(deal, [{"output": {"spec": raw(other)}}])
    assert revision.plan is not None
    assert "agents: ../agents/deal.yaml" in revision.text
    assert "its agents: was kept as the spec's" in revision.notes


async def test_a_problem_names_its_line_in_the_proposal_shown(deal):
    bad = {**revised(deal), "steps": {"not": "a list"}}
    revision = await propose(deal, [{"output": {"spec": raw(bad)}}], max_rounds=1)
    assert revision.plan is None and revision.text is not None
    assert revision.problems == ["deal_review.yaml:21: steps: expected a list, got a mapping (not)"]
    assert revision.text.splitlines()[20] == "steps:"


async def test_an_empty_change_is_refused(deal):
    agent = planner(deal.parent.parent, [])
    with pytest.raises(PlanningError, match="the change is empty"):
        await revise(deal, deal.read_text(), "  ", [], agent)


def test_the_planner_is_looked_for_in_the_catalog_the_spec_names(deal, tmp_path):
    spec = SpecEditor.open(deal).get(())
    files = catalog_files_of(deal, spec)
    assert files == [(tmp_path / "agents" / "deal.yaml").resolve()]
    with pytest.raises(PlanningError, match="has no planner agent"):  # deal.yaml has none
        find_planner(files, None, True)
    with pytest.raises(PlanningError, match="agents: names no catalog file"):
        catalog_files_of(deal, {**spec, "agents": {"agents": {}}})
    with pytest.raises(PlanningError, match="is not there"):
        catalog_files_of(deal, {**spec, "agents": "../agents/gone.yaml"})
