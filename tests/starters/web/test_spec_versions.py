"""A spec's history in the console: who saved each version and when (a hand edit found on
disk named as such), and the changes between two versions — or from the last save to the
file as it is now — as numbered, marked lines, the spec's text shown as text."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import httpx
import pytest
from podium.compiler.spec_editing import SpecEditor
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.spec_history import save_spec
from podium.starters.web.diffs import diff_rows
from podium.starters.web.settings import ConsoleSettings

from tests.support.asgi_server import serving

ROOT = Path(__file__).parents[3]
HEADER = "X-Test-User"
WHO = {HEADER: "ann"}
ROW = re.compile(
    r'<tr class="(removed|added|context)"><td class="num">(\d*)</td><td class="num">(\d*)</td>'
    r".*?<code>(.*?)</code>",
    re.DOTALL,
)


def changed_lines(page: str) -> list[tuple[str, int | None, int | None, str]]:
    """The removed and added rows of a diff page: kind, old number, new number, text."""
    return [
        (kind, int(old) if old else None, int(new) if new else None, shown(code))
        for kind, old, new, code in ROW.findall(page)
        if kind != "context"
    ]


def shown(code: str) -> str:
    """A cell's text as the browser shows it (highlights dropped, entities read)."""
    return html.unescape(re.sub(r"</?mark>", "", code))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """specs/deal_review.yaml with its agents, and the console's state folder."""
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "deal_review.yaml", tmp_path / "specs")
    shutil.copytree(ROOT / "agents", tmp_path / "agents")
    return tmp_path


async def test_the_history_names_who_saved_each_version_and_each_diff_shows_its_lines(
    client, project
):
    spec = project / "specs" / "deal_review.yaml"
    shutil.copy(spec, project / "specs" / "never_saved.yaml")
    settings = ConsoleSettings(
        trusted_header=HEADER, secret="s" * 64, used_links=project / "state" / "links.db"
    )
    root = project / "state" / "spec-history"  # where the builder saves (history_root)
    editor = SpecEditor.open(spec)
    editor.set(("budget", "usd"), 0.75)
    save_spec(editor, "ann", root=root)  # version 1: the file as found, 2: ann's
    editor = SpecEditor.open(spec)
    editor.set(("description",), "Reviews <script>alert(1)</script> of a deal.")
    save_spec(editor, "bob", root=root)  # version 3
    spec.write_text(spec.read_text().replace("after: 2d", "after: 3d"))  # by hand

    app = build_app(client, specs=project / "specs", clients=Clients([]), console=settings)
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        page = await http.get("/console/specs/deal_review/history", headers=WHO)
        assert page.status_code == 200
        listed = re.findall(r'<li data-version="(\d+)">.*?<span class="meta">(.*?)</span>',
                            page.text, re.DOTALL)  # fmt: skip
        assert [number for number, _ in listed] == ["3", "2", "1"]  # newest first
        assert "saved by bob" in listed[0][1] and "saved by ann" in listed[1][1]
        assert "found on disk before the first save" in listed[2][1]
        assert "The file on disk differs from version 3" in page.text
        for pair in ("3..disk", "2..3", "1..2"):
            assert f'href="/console/specs/deal_review/history/{pair}"' in page.text

        budget = await http.get("/console/specs/deal_review/history/1..2", headers=WHO)
        assert budget.status_code == 200
        assert changed_lines(budget.text) == [
            ("removed", 19, None, "budget: {usd: 0.50, on_exceed: escalate, escalate_to: [cfo]}"),
            ("added", None, 19, "budget: {usd: 0.75, on_exceed: escalate, escalate_to: [cfo]}"),
        ]
        assert "<mark>75</mark>" in budget.text  # the word that changed, inside the line
        assert '<span class="visually-hidden">removed</span>' in budget.text  # not colour alone
        assert "found on disk" in budget.text and "saved by ann" in budget.text

        escaped = await http.get("/console/specs/deal_review/history/2..3", headers=WHO)
        assert ("added", None, 10, "description: Reviews <script>alert(1)</script> of a deal.") in (
            changed_lines(escaped.text)
        )
        assert "<script>alert" not in escaped.text and "&lt;script&gt;alert(1)" in escaped.text

        by_hand = await http.get("/console/specs/deal_review/history/3..disk", headers=WHO)
        assert by_hand.status_code == 200 and "The file on disk now" in by_hand.text
        assert changed_lines(by_hand.text) == [
            ("removed", 20, None, "deadline: {after: 2d, on_breach: notify}"),
            ("added", None, 20, "deadline: {after: 3d, on_breach: notify}"),
        ]

        compared = await http.get(
            "/console/specs/deal_review/history", params={"old": "1", "new": "3"}, headers=WHO
        )  # the compare form
        assert compared.status_code == 303
        assert compared.headers["location"] == "/console/specs/deal_review/history/1..3"

        typed = await http.get(
            "/console/specs/deal_review/history", params={"old": "a/b", "new": "1"}, headers=WHO
        )
        assert typed.status_code == 200 and 'data-version="3"' in typed.text  # just the list
        for wrong in ("1..9", "x..2", "0..disk", "disk..1", "1..²"):
            missing = await http.get(f"/console/specs/deal_review/history/{wrong}", headers=WHO)
            assert missing.status_code == 404, wrong
            assert "Its versions are 1 to 3." in missing.text
        nothing = await http.get("/console/specs/never_saved/history", headers=WHO)
        assert nothing.status_code == 200 and "No saved versions yet." in nothing.text
        assert "<select" not in nothing.text
        gone = await http.get("/console/specs/no_such_spec/history", headers=WHO)
        assert gone.status_code == 404
        stranger = await http.get("/console/specs/deal_review/history/1..2")
        assert stranger.status_code == 303 and "/console/sign-in" in stranger.headers["location"]
        spec_page = await http.get("/console/specs/deal_review", headers=WHO)
        assert 'href="/console/specs/deal_review/history"' in spec_page.text


def test_rows_number_both_sides_and_pair_changed_lines():
    rows = diff_rows("a\nb: one two\nc\n", "a\nb: one three\nc\nd")
    assert [(r.kind, r.old, r.new, r.text) for r in rows] == [
        ("hunk", 1, 1, "@@ -1,3 +1,4 @@"),
        ("context", 1, 1, "a"),
        ("removed", 2, None, "b: one two"),
        ("added", None, 2, "b: one three"),
        ("context", 3, 3, "c"),
        ("added", None, 4, "d"),
        ("no-newline", None, None, ""),
    ]
    assert [(p.text, p.changed) for p in rows[3].pieces] == [("b: one ", False), ("three", True)]
    assert diff_rows("same\n", "same\n") == []
