"""The builder over real HTTP: a person's draft of a spec, changed by the page's buttons —
steps added of every kind, nested, moved, removed — the compiler's verdict on every
redraw with each problem on its step, Save refused while it refuses, and a save that
writes only the changed lines and records who saved it."""

from __future__ import annotations

import difflib
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.spec_history import SpecHistory
from podium.starters.web.settings import ConsoleSettings, Person

from tests.support.asgi_server import serving

ROOT = Path(__file__).parents[3]
HEADER = "X-Test-User"
WHO = {HEADER: "ann"}
PINNED = (
    r'data-step="(\w+)" data-at="[^"]+" data-kind="\w+">.*?'
    r'(?:<ul class="problems" role="alert">(.*?)</ul>|(?=data-step=)|$)'
)
"""Each step's id and the problems on its box ('' if none)."""


@pytest.fixture
def project(tmp_path):
    """A project folder: specs/ with deal_review, the catalogs in agents/."""
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "deal_review.yaml", tmp_path / "specs")
    shutil.copytree(ROOT / "agents", tmp_path / "agents")
    return tmp_path


@pytest.fixture
async def console(client, project):
    settings = ConsoleSettings(
        people={"ann": Person(id="ann", can=frozenset({"edit-specs", "start-runs"}))},
        trusted_header=HEADER,
        secret="s" * 64,
        used_links=project / "state" / "links.db",
    )
    app = build_app(client, specs=project / "specs", clients=Clients([]), console=settings)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, headers=WHO) as http:
        yield http


async def act(http: httpx.AsyncClient, spec: str, **fields: str) -> httpx.Response:
    """Press a builder button: the page's CSRF token with the form's fields."""
    page = await http.get(f"/console/specs/{spec}/edit")
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return await http.post(
        f"/console/specs/{spec}/edit",
        data={"csrftoken": token.group(1), **fields},
        follow_redirects=True,
    )


def boxes(page: str) -> list[str]:
    """The step ids drawn, top to bottom."""
    return re.findall(r'data-step="([^"]*)" data-at=', page)


async def test_a_spec_opens_as_its_file_and_edits_stay_in_the_draft(console, project):
    spec = project / "specs" / "deal_review.yaml"
    before = spec.read_bytes()
    page = await console.get("/console/specs/deal_review/edit")
    assert page.status_code == 200
    assert boxes(page.text) == ["reviews", "financial", "legal", "technical", "risk", "signoff"]
    assert 'data-verdict="accepted"' in page.text and 'data-changed="no"' in page.text

    added = await act(
        console, "deal_review", action="add", into="steps[0].parallel", kind="agent", id="tax"
    )
    assert added.status_code == 200
    assert boxes(added.text)[:5] == ["reviews", "financial", "legal", "technical", "tax"]
    assert 'data-changed="yes"' in added.text
    assert spec.read_bytes() == before  # only the draft changed

    moved = await act(console, "deal_review", action="up", at="steps[0].parallel[3]", index="3")
    assert boxes(moved.text)[:5] == ["reviews", "financial", "legal", "tax", "technical"]
    removed = await act(console, "deal_review", action="remove", at="steps[0].parallel[2]")
    assert "tax" not in boxes(removed.text)[:3] and boxes(removed.text)[3] == "technical"


async def test_problems_sit_on_their_step_and_saving_waits_for_the_compiler(console, project):
    spec = project / "specs" / "deal_review.yaml"
    before = spec.read_bytes()
    # a new capability step's capability is a placeholder: the compiler names it, on that step
    page = await act(
        console, "deal_review", action="add", into="steps", kind="capability", id="notify_desk"
    )
    problems = dict(re.findall(PINNED, page.text, re.S))
    assert "no agent has capability &#39;capability-name&#39;" in problems["notify_desk"]
    assert problems["risk"] == ""
    assert 'data-verdict="refused"' in page.text
    refused = await act(console, "deal_review", action="save")
    assert refused.status_code == 422 and "Not saved" in refused.text
    assert spec.read_bytes() == before

    # nested kinds: a route with a case, an undo step, a team member, a branch of steps
    await act(console, "deal_review", action="remove", at="steps[3]")
    route = await act(
        console, "deal_review", action="add", into="steps", kind="route", id="by_level"
    )
    assert 'data-step="by_level"' in route.text
    case = await act(
        console,
        "deal_review",
        action="add",
        into="steps[3].route.cases",
        kind="agent",
        id="escalate_legal",
        name="high",
    )
    assert 'data-at="steps[3].route.cases.high"' in case.text
    branch = await act(
        console, "deal_review", action="add", into="steps[0].parallel", kind="branch", id="extra"
    )
    inner = await act(
        console,
        "deal_review",
        action="add",
        into="steps[0].parallel[3].steps",
        kind="agent",
        id="extra_a",
    )
    assert 'data-at="steps[0].parallel[3].steps[0]"' in inner.text and branch.status_code == 200
    nested = await act(
        console, "deal_review", action="relocate", at="steps[1]", into="steps[0].parallel[3].steps"
    )
    assert 'data-step="risk" data-at="steps[0].parallel[3].steps[1]"' in nested.text

    # throwing it away brings the file back
    thrown = await act(console, "deal_review", action="discard")
    assert boxes(thrown.text) == ["reviews", "financial", "legal", "technical", "risk", "signoff"]
    assert 'data-changed="no"' in thrown.text


async def test_a_save_writes_only_the_changed_lines_and_records_who(console, project):
    spec = project / "specs" / "deal_review.yaml"
    before = spec.read_text()
    await act(console, "deal_review", action="down", at="steps[0].parallel[0]", index="0")
    saved = await act(console, "deal_review", action="save")
    assert saved.status_code == 200 and "Saved." in saved.text
    after = spec.read_text()
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == [] and after != before  # the same lines, two swapped
    first = next(n for n, line in enumerate(before.splitlines()) if "id: financial" in line)
    assert after.splitlines()[first : first + 2] == before.splitlines()[first : first + 2][::-1]
    compile_spec(spec, offline=True)
    versions = SpecHistory(spec, root=project / "state" / "spec-history").versions()
    assert [v.saved_by for v in versions] == ["(on disk)", "ann"]


async def test_a_new_spec_is_built_from_nothing(console, project):
    page = await console.get("/console/specs/new")
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    bad = await console.post("/console/specs/new", data={"csrftoken": token, "name": "../etc"})
    assert bad.status_code == 422 and "letters, digits" in bad.text
    taken = await console.post(
        "/console/specs/new", data={"csrftoken": token, "name": "deal_review"}
    )
    assert taken.status_code == 422 and "already a spec" in taken.text
    made = await console.post(
        "/console/specs/new",
        data={"csrftoken": token, "name": "quick_check"},
        follow_redirects=True,
    )
    assert made.status_code == 200 and "Not saved yet" in made.text
    assert not (project / "specs" / "quick_check.yaml").exists()
    first = await act(console, "quick_check", action="add", into="steps", kind="agent", id="first")
    assert boxes(first.text) == ["first"]


class FormFields(HTMLParser):
    """What a browser would post for the form with ``data-form=<which>``, untouched."""

    def __init__(self, which: str):
        super().__init__()
        self.which, self.inside, self.fields = which, False, []
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("data-form") == self.which
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append(
                    (a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
                )
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.fields.append((self.textarea, ""))

    def handle_data(self, data):
        if self.textarea:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def shown_form(page: str, which: str) -> dict[str, str]:
    parser = FormFields(which)
    parser.feed(page)
    posted = dict(parser.fields)
    assert posted.get("action") == "apply", f"no form {which} on the page"
    return posted


async def apply(http: httpx.AsyncClient, spec: str, which: str, **changed: str) -> httpx.Response:
    """Open the form of ``which`` (a step's place, or ``spec``), change fields, Apply."""
    query = f"?at={which}" if which != "spec" else ""
    page = await http.get(f"/console/specs/{spec}/edit{query}")
    posted = {**shown_form(page.text, which), **changed}
    return await http.post(f"/console/specs/{spec}/edit", data=posted, follow_redirects=True)


async def test_each_steps_form_applied_unchanged_changes_nothing_and_a_change_one_line(
    console, project
):
    spec = project / "specs" / "deal_review.yaml"
    before = spec.read_text()
    for which in [
        "spec",
        "steps[0]",
        "steps[0].parallel[0]",
        "steps[0].parallel[2]",
        "steps[1]",
        "steps[2]",
    ]:
        same = await apply(console, "deal_review", which)
        assert same.status_code == 200, which
        assert 'data-changed="no"' in same.text, which
    # a value the form itself can tell is wrong: refused beside its field, nothing changed
    soon = await apply(console, "deal_review", "steps[2]", **{"approval.timeout": "soon"})
    assert soon.status_code == 422 and 'data-changed="no"' in soon.text
    assert "Timeout: &#39;soon&#39; is not a duration" in soon.text
    # one only the compiler can judge: applied to the draft, its message on the step
    wrong = await apply(console, "deal_review", "steps[1]", agent="nobody-we-know")
    box = wrong.text[wrong.text.index('data-step="risk"') :]
    assert "unknown agent &#39;nobody-we-know&#39;" in box[: box.index("</ul>")]
    assert 'data-verdict="refused"' in wrong.text
    await apply(console, "deal_review", "steps[1]", agent="risk-aggregator")
    assert spec.read_text() == before
    timed = await apply(console, "deal_review", "steps[2]", **{"approval.timeout": "2d"})
    assert 'data-changed="yes"' in timed.text and 'data-verdict="accepted"' in timed.text
    saved = await act(console, "deal_review", action="save")
    assert "Saved." in saved.text
    changed = difflib.unified_diff(before.splitlines(), spec.read_text().splitlines(), n=0)
    assert [line for line in changed if line[:1] in "+-"][2:] == [
        "-      timeout: 1d",
        "+      timeout: 2d",
    ]


async def test_only_people_the_people_file_allows_may_build(console, project):
    bob = {HEADER: "bob"}  # signed in, but the people file gives him nothing
    spec_page = await console.get("/console/specs/deal_review", headers=bob)
    assert spec_page.status_code == 200 and "/edit" not in spec_page.text
    for path in ("/console/specs/deal_review/edit", "/console/specs/new"):
        refused = await console.get(path, headers=bob)
        assert refused.status_code == 403, path
        assert "You may not change specs" in refused.text and "can: [edit-specs]" in refused.text
    token = re.search(r'name="csrftoken" value="([^"]+)"', spec_page.text)
    forged = await console.post(
        "/console/specs/deal_review/edit",
        headers=bob,
        data={"csrftoken": token.group(1) if token else "", "action": "remove", "at": "steps[2]"},
    )
    assert forged.status_code == 403
    assert 'data-step="signoff"' in (await console.get("/console/specs/deal_review/edit")).text
    ann = await console.get("/console/specs/deal_review")
    assert 'href="/console/specs/deal_review/edit"' in ann.text
    assert 'href="/console/specs/deal_review/run"' in ann.text
    assert "deal_review/run" not in spec_page.text
    run = await console.get("/console/specs/deal_review/run", headers=bob)
    assert run.status_code == 403 and "You may not start runs" in run.text


async def test_steps_of_every_kind_go_in_and_nest(console, project):
    spec = "deal_review"
    for n, kind in enumerate(["map", "refine", "supervise", "workflow", "capability", "approval"]):
        page = await act(console, spec, action="add", into="steps", kind=kind, id=f"{kind}_x")
        assert f'data-step="{kind}_x" data-at="steps[{3 + n}]" data-kind="{kind}"' in page.text
    page = await console.get("/console/specs/deal_review/edit")
    # what each kind holds is drawn inside it, where more can go
    assert 'data-at="steps[3].step"' in page.text  # the map's item step
    assert 'data-at="steps[4].refine.producer"' in page.text
    assert 'data-at="steps[4].refine.reviewer"' in page.text
    member = await act(
        console,
        spec,
        action="member",
        into="steps[5].supervise.team",
        name="carrier",
    )  # (no agent: it starts as the catalog's first)
    assert "carrier" in member.text and "agent: financial-analyst" in member.text
    undo = await act(
        console, spec, action="add", into="steps[1].compensate", kind="agent", id="undo_risk"
    )
    assert 'data-step="undo_risk" data-at="steps[1].compensate"' in undo.text
    # an undo slot takes one step: no second add form there
    assert 'name="into" value="steps[1].compensate"' not in undo.text
    # the draft is still YAML the compiler reads, and names what is left to fill in
    assert 'data-verdict="refused"' in undo.text
    pinned = dict(re.findall(PINNED, undo.text, re.S))
    assert "other_spec.yaml&#39; not found" in pinned["workflow_x"]
    assert "no agent has capability &#39;capability-name&#39;" in pinned["capability_x"]
    assert "declares no side effects" in pinned["undo_risk"]  # nothing to undo
    for fine in ("map_x", "map_x_item", "refine_x", "refine_x_draft", "supervise_x"):
        assert pinned[fine] == "", fine  # a new step starts with the catalog's first agent
