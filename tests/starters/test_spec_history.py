"""A spec's saves are kept: who saved which text when, the text each save replaced (also
one edited by hand in between), and the diff between any two versions."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
from podium.compiler.spec_editing import SpecEditError, SpecEditor
from podium.starters.spec_history import ON_DISK, SpecHistory, save_spec

from tests.conftest import ROOT


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """specs/deal_review.yaml in a project folder of its own (the current folder)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    path = tmp_path / "specs" / "deal_review.yaml"
    shutil.copy(ROOT / "specs" / "deal_review.yaml", path)
    return path


def test_the_first_save_keeps_the_text_it_replaced_and_says_who_saved_when(spec):
    original = spec.read_bytes()
    editor = SpecEditor.open(spec)
    editor.set(("budget", "usd"), 0.75)
    before = datetime.datetime.now(datetime.UTC)
    saved = save_spec(editor, "ann")
    history = SpecHistory(spec)
    first, second = history.versions()
    assert (first.number, first.saved_by) == (1, ON_DISK)
    assert (second.number, second.saved_by) == (2, "ann") and saved == second
    assert before <= second.saved_at <= datetime.datetime.now(datetime.UTC)
    assert history.text(1) == original and history.text(2) == spec.read_bytes()
    folder = Path(".podium/spec-history/specs%2Fdeal_review.yaml")
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        first.file,
        second.file,
        "index.json",
    ]
    assert history.diff(1, 2).splitlines()[2:] == [
        "@@ -16,7 +16,7 @@",
        "     deal_terms: {type: string}",
        "     amount_usd: {type: number, minimum: 0}",
        " agents: ../agents/deal.yaml",
        "-budget: {usd: 0.50, on_exceed: escalate, escalate_to: [cfo]}",
        "+budget: {usd: 0.75, on_exceed: escalate, escalate_to: [cfo]}",
        " deadline: {after: 2d, on_breach: notify}",
        " steps:",
        "   - id: reviews",
    ]
    assert history.diff(1, 2).startswith(
        f"--- specs/deal_review.yaml v1 ({ON_DISK}, {first.saved_at:%Y-%m-%d %H:%M} UTC)\n"
        f"+++ specs/deal_review.yaml v2 (ann, {second.saved_at:%Y-%m-%d %H:%M} UTC)\n"
    )


def test_a_hand_edit_between_saves_is_kept_as_its_own_version(spec):
    editor = SpecEditor.open(spec)
    editor.set(("description",), "first words")
    save_spec(editor, "ann")
    by_hand = spec.read_text().replace("first words", "words typed in an editor")
    spec.write_text(by_hand)
    editor = SpecEditor.open(spec)
    editor.set(("deadline", "after"), "3d")
    save_spec(editor, "bob")
    history = SpecHistory(spec)
    assert [v.saved_by for v in history.versions()] == [ON_DISK, "ann", ON_DISK, "bob"]
    assert history.text(3).decode() == by_hand
    assert "-description: first words\n+description: words typed in an editor\n" in (
        history.diff(2, 3)
    )
    assert "deadline" not in history.diff(2, 3) and "-deadline: {after: 2d" in history.diff(3, 4)


def test_saving_the_same_text_again_records_only_the_new_save(spec):
    editor = SpecEditor.open(spec)
    save_spec(editor, "ann")
    save_spec(editor, "ann")
    history = SpecHistory(spec)
    assert [v.saved_by for v in history.versions()] == [ON_DISK, "ann", "ann"]
    assert history.diff(1, 3) == ""


def test_a_stale_save_is_refused_and_leaves_file_and_history_as_they_were(spec):
    mine, theirs = SpecEditor.open(spec), SpecEditor.open(spec)
    theirs.set(("description",), "theirs")
    save_spec(theirs, "bob")
    mine.set(("description",), "mine")
    with pytest.raises(SpecEditError, match="changed on disk since it was opened"):
        save_spec(mine, "ann")
    assert SpecEditor.open(spec).get(("description",)) == "theirs"
    assert [v.saved_by for v in SpecHistory(spec).versions()] == [ON_DISK, "bob"]


def test_asking_for_a_version_that_is_not_there_says_which_there_are(spec):
    history = SpecHistory(spec)
    assert history.versions() == []
    with pytest.raises(SpecEditError, match="has no version 1") as info:
        history.diff(1, 2)
    assert info.value.hint == "it was never saved"
    save_spec(SpecEditor.open(spec), "ann")
    with pytest.raises(SpecEditError, match="has no version 7") as info:
        history.text(7)
    assert info.value.hint == "its versions are 1 to 2"
