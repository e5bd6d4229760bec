"""Describe a change in words in the builder, over real HTTP: the catalog's planner (the
scripted model, at the model's edge) revises the person's draft, the proposal is shown
drawn with each step marked and as a diff, and Accept makes it the draft — never the
file — while Reject, or a draft changed in between, leaves the draft as it was."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import httpx
import pytest
from podium.compiler.spec_editing import SpecEditor

from tests.starters.test_plan_changes import CHANGE, planner, raw, revised
from tests.starters.web import test_builder
from tests.starters.web.test_builder import ROOT, act, boxes

SPEC = "deal_review"
BUILDER = f"/console/specs/{SPEC}/edit"
ALL_STEPS = ["reviews", "financial", "legal", "technical", "risk", "signoff"]
console = test_builder.console  # the builder's console over HTTP, on this module's project


@pytest.fixture
def project(tmp_path):
    """deal_review, its catalog, and a catalog beside it holding a scripted planner whose
    answer each test sets (``answer``)."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "agents").mkdir()
    shutil.copy(ROOT / "specs" / "deal_review.yaml", tmp_path / "specs")
    shutil.copy(ROOT / "agents" / "deal.yaml", tmp_path / "agents")
    return tmp_path


def answer(project: Path, spec: dict, notes: str = "after risk") -> None:
    """The planner's answer, whatever it is asked (its catalog: agents/planner.yaml)."""
    planner(project / "agents", [{"output": {"spec": raw(spec), "notes": notes}}])


def spec_of(project: Path) -> dict:
    return copy.deepcopy(SpecEditor.open(project / "specs" / f"{SPEC}.yaml").get(()))


async def describe(http: httpx.AsyncClient, change: str = CHANGE) -> httpx.Response:
    """Type ``change`` into the builder's form and ask the planner."""
    page = await http.get(BUILDER)
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return await http.post(
        f"{BUILDER}/describe", data={"csrftoken": token.group(1), "change": change}, timeout=60
    )


async def decide(http: httpx.AsyncClient, proposal_page: str, action: str) -> httpx.Response:
    """Press Accept or Reject on a proposal page (its hidden fields as they are)."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', proposal_page))
    return await http.post(
        f"{BUILDER}/proposal", data={**fields, "action": action}, follow_redirects=True
    )


def marks(page: str) -> dict[str, str]:
    """The proposal's steps drawn, each with its mark ('' for none)."""
    return dict(re.findall(r'data-step="([^"]*)" data-mark="([^"]*)"', page))


def diff_lines(page: str, kind: str) -> list[str]:
    """The text of the diff's rows of ``kind`` (added, removed)."""
    rows = re.findall(rf'<tr class="{kind}">.*?<td class="line"><code>(.*?)</code>', page, re.S)
    return [re.sub(r"</?mark>", "", row) for row in rows]


async def test_a_described_change_is_proposed_drawn_marked_and_as_a_diff(console, project):
    answer(project, revised(project / "specs" / f"{SPEC}.yaml"))
    page = await console.get(BUILDER)
    assert 'data-planner="drafter"' in page.text and "(../agents/planner.yaml)" in page.text

    proposed = await describe(console)
    assert proposed.status_code == 200, proposed.text[:2000]
    assert f'<blockquote class="asked" data-asked>{CHANGE}</blockquote>' in proposed.text
    assert 'data-verdict="accepted"' in proposed.text and "after risk" in proposed.text
    assert marks(proposed.text) == {s: "" for s in ALL_STEPS} | {"compliance": "added"}
    assert list(marks(proposed.text)) == [*ALL_STEPS[:5], "compliance", "signoff"]
    assert diff_lines(proposed.text, "added") == [
        "  - id: compliance",
        "    agent: legal-analyst",
        "    with:",
        "      terms: input.deal_terms",
        "      risk: steps.risk.output",
        "  compliance: steps.compliance.output",
    ]
    assert diff_lines(proposed.text, "removed") == []
    builder = await console.get(BUILDER)  # asking changed nothing yet
    assert boxes(builder.text) == ALL_STEPS and 'data-changed="no"' in builder.text


async def test_accepting_makes_the_proposal_the_draft_and_leaves_the_file(console, project):
    file = project / "specs" / f"{SPEC}.yaml"
    before = file.read_bytes()
    answer(project, revised(file))
    accepted = await decide(console, (await describe(console)).text, "accept")
    assert accepted.status_code == 200 and accepted.url.path == BUILDER
    assert "proposal is now your draft" in accepted.text
    assert boxes(accepted.text) == [*ALL_STEPS[:5], "compliance", "signoff"]
    assert 'data-changed="yes"' in accepted.text and 'data-verdict="accepted"' in accepted.text
    assert file.read_bytes() == before
    saved = await act(console, SPEC, action="save")
    assert "Saved." in saved.text and "id: compliance" in file.read_text()


async def test_rejecting_leaves_the_draft_as_it_was(console, project):
    await act(console, SPEC, action="remove", at="steps[0].parallel[2]")  # an edit of my own
    answer(project, revised(project / "specs" / f"{SPEC}.yaml"))  # technical still in it
    proposed = await describe(console)
    # the proposal is measured against my draft (where technical is gone), not the file
    assert marks(proposed.text)["technical"] == "added"
    assert "  - {id: technical, agent: tech-analyst" in diff_lines(proposed.text, "added")[0]
    rejected = await decide(console, proposed.text, "reject")
    assert str(rejected.url).endswith(BUILDER)
    assert boxes(rejected.text) == ["reviews", "financial", "legal", "risk", "signoff"]


async def test_a_proposal_made_before_the_draft_changed_is_refused(console, project):
    answer(project, revised(project / "specs" / f"{SPEC}.yaml"))
    proposed = await describe(console)
    await act(console, SPEC, action="remove", at="steps[0].parallel[2]")  # e.g. another tab
    refused = await decide(console, proposed.text, "accept")
    assert refused.status_code == 409 and "your draft changed after the planner" in refused.text
    assert boxes(refused.text) == ["reviews", "financial", "legal", "risk", "signoff"]

    fresh = (await describe(console)).text  # asked again, of the draft as it is now
    forged = fresh.replace('name="proposal" value="', 'name="proposal" value="!', 1)
    unreadable = await decide(console, forged, "accept")
    assert unreadable.status_code == 422 and "not one this page made" in unreadable.text
    accepted = await decide(console, fresh, "accept")
    assert boxes(accepted.text) == [*ALL_STEPS[:5], "compliance", "signoff"]


async def test_removed_and_changed_steps_are_marked_removed_ones_in_place(console, project):
    spec = spec_of(project)
    del spec["agents"], spec["steps"][0]["parallel"][1]  # legal goes
    spec["steps"][1]["with"]["legal"] = "steps.financial.output"  # risk changes
    spec["output"]["note"] = "steps.risk.output"  # a setting of the spec changes
    answer(project, spec, notes="dropped legal")
    proposed = await describe(console, "drop the legal review")
    assert marks(proposed.text) == {s: "" for s in ALL_STEPS} | {
        "legal": "removed",
        "risk": "changed",
    }
    assert list(marks(proposed.text)) == ALL_STEPS  # the ghost where legal was
    assert 'class="box proposed removed ghost"' in proposed.text
    assert "1 changed" in proposed.text and "1 removed" in proposed.text
    assert 'class="box spec-box proposed changed"' in proposed.text


async def test_a_proposal_the_compiler_refuses_is_offered_with_its_problems(console, project):
    wrong = revised(project / "specs" / f"{SPEC}.yaml", agent="compliance-bot")
    answer(project, wrong, notes="unsure of the agent")
    proposed = await describe(console)
    assert 'data-verdict="refused"' in proposed.text
    assert "unknown agent &#39;compliance-bot&#39;" in proposed.text
    assert "will not save until you fix them" in proposed.text
    accepted = await decide(console, proposed.text, "accept")
    box = accepted.text[accepted.text.index('data-step="compliance"') :]
    assert "unknown agent" in box[: box.index("</ul>")]  # pinned on the step
    assert 'data-verdict="refused"' in accepted.text


async def test_what_the_planner_writes_is_shown_as_text(console, project):
    spec = revised(project / "specs" / f"{SPEC}.yaml")
    spec["description"] = "<script>alert('description')</script>"
    answer(project, spec, notes="<script>alert('notes')</script>")
    proposed = await describe(console, "<b>add</b> compliance")
    assert "<script>alert" not in proposed.text and "<b>add</b>" not in proposed.text
    assert "&lt;script&gt;alert(&#39;notes&#39;)&lt;/script&gt;" in proposed.text
    assert "&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt;" in proposed.text
    assert "&lt;b&gt;add&lt;/b&gt; compliance" in proposed.text


async def test_without_a_planner_the_form_says_how_to_add_one(console, project):
    page = await console.get(BUILDER)
    assert 'data-planner=""' in page.text and "capability planning" in page.text
    assert "no planner in the catalogs looked at (../agents/deal.yaml)" in page.text
    refused = await describe(console)
    assert refused.status_code == 422 and "no planner in the catalogs" in refused.text
    assert 'name="action" value="accept"' not in refused.text


async def test_the_sample_catalogs_planner_is_the_one_asked(console, project):
    shutil.copy(ROOT / "agents" / "market.yaml", project / "agents")
    page = await console.get(BUILDER)
    assert 'data-planner="planner"' in page.text and "(../agents/market.yaml)" in page.text
