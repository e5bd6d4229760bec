"""Editing a spec by key path keeps the file as its author wrote it: an unedited spec saves
byte for byte, an edit changes only its own lines (comments, quotes, flow style kept), and
what is saved compiles. Bad edits are refused with the place and a hint."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from podium.compiler.catalog import CatalogFile
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.spec_editing import SpecEditError, SpecEditor, parse_loc
from podium.compiler.textfile import FileReadError

from tests.conftest import ROOT

SAMPLES = sorted([*(ROOT / "specs").glob("*.yaml"), *(ROOT / "agents").glob("*.yaml")])


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A copy of specs/ and agents/ (specs name their catalogs as ../agents/…)."""
    for folder in ("specs", "agents"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def changed_lines(before: str, after: str) -> list[str]:
    """The -/+ lines of the unified diff from ``before`` to ``after``."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("---", "+++")]


def edit(path: Path) -> SpecEditor:
    return SpecEditor.open(path, model=CatalogFile if path.parent.name == "agents" else None)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_opened_and_saved_unedited_is_byte_identical(sample, tmp_path):
    editor = edit(sample)
    assert not editor.changed
    copy = tmp_path / sample.name
    editor.save(copy)
    assert copy.read_bytes() == sample.read_bytes()


@pytest.mark.parametrize("name", ["deal_review", "support_triage", "border_incident"])
def test_setting_each_value_of_a_spec_to_itself_changes_nothing(name):
    editor = SpecEditor.open(ROOT / "specs" / f"{name}.yaml")
    original = editor.text
    for loc, value in leaves(editor.get(())):
        editor.set(loc, value)
    assert editor.text == original and not editor.changed


def test_each_value_of_a_spec_is_edited_on_its_own_line():
    path = ROOT / "specs" / "deal_review.yaml"
    original = path.read_text()
    for loc, value in leaves(SpecEditor.open(path).get(())):
        editor = SpecEditor.open(path, model=None)  # any text, even where a number belongs
        editor.set(loc, "edited")
        assert editor.get(loc) == "edited"
        [old, new] = changed_lines(original, editor.text)
        assert old.startswith("-") and new.startswith("+"), (loc, old, new)
        assert "edited" in new and (str(value) in old or isinstance(value, bool)), (loc, old)


def test_editing_one_field_of_a_step_changes_that_line_and_the_saved_spec_compiles(samples):
    path = samples / "specs" / "deal_review.yaml"
    original = path.read_text()
    editor = SpecEditor.open(path)
    assert editor.locate_step("signoff") == ("steps", 2)
    editor.set(("steps", 2, "when"), "steps.risk.output.level != 'low'")
    editor.save()
    assert changed_lines(original, path.read_text()) == [
        "-    when: \"steps.risk.output.level == 'high'\"",
        "+    when: \"steps.risk.output.level != 'low'\"",  # its double quotes kept
    ]
    plan = compile_spec(path, offline=True)
    assert plan.steps[2].when == "steps.risk.output.level != 'low'"


def test_a_branch_added_to_a_parallel_is_one_line_in_the_style_of_its_siblings(samples):
    path = samples / "specs" / "deal_review.yaml"
    original = path.read_text()
    editor = SpecEditor.open(path)
    branch = {"id": "tax", "agent": "legal-analyst", "with": {"terms": "input.deal_terms"}}
    editor.insert(("steps", 0, "parallel", 3), branch)
    editor.move(("steps", 0, "parallel", 2), 0)  # technical first
    editor.save()
    assert changed_lines(original, path.read_text()) == [
        "+      - {id: technical, agent: tech-analyst, with: {terms: input.deal_terms}, "
        "optional: true}",
        "-      - {id: technical, agent: tech-analyst, with: {terms: input.deal_terms}, "
        "optional: true}",
        "+      - {id: tax, agent: legal-analyst, with: {terms: input.deal_terms}}",
    ]
    plan = compile_spec(path, offline=True)
    assert [b.id for b in plan.steps[0].branches] == ["technical", "financial", "legal", "tax"]


def test_a_branch_holding_a_sequence_of_steps_is_built_step_by_step(samples):
    path = samples / "specs" / "deal_review.yaml"
    editor = SpecEditor.open(path)
    first = {"id": "draft", "agent": "legal-analyst", "with": {"terms": "input.deal_terms"}}
    editor.insert(("steps", 0, "parallel", 3), {"id": "second_look", "steps": [first]})
    again = {"id": "check", "agent": "legal-analyst", "with": {"terms": "steps.draft.output"}}
    editor.insert(("steps", 0, "parallel", 3, "steps", 1), again)
    editor.save()
    [branch] = [
        b for b in compile_spec(path, offline=True).steps[0].branches if b.id == "second_look"
    ]
    assert [s.id for s in branch.steps] == ["draft", "check"]


def test_route_cases_are_added_removed_and_reordered_by_name(samples):
    path = samples / "specs" / "support_triage.yaml"
    original = path.read_text()
    editor = SpecEditor.open(path)
    cases = ("steps", 1, "route", "cases")
    vip = {"agent": "generalist", "with": {"message": "input.message"}}
    editor.insert((*cases, "vip"), vip, at=0)
    editor.delete((*cases, "returns"))
    editor.move((*cases, "technical"), 1)
    editor.save()
    assert changed_lines(original, path.read_text()) == [
        "+        vip: {agent: generalist, with: {message: input.message}}",
        "+        technical: {agent: technical-specialist, with: {message: input.message}}",
        "-        technical: {agent: technical-specialist, with: {message: input.message}}",
        "-        returns: {agent: returns-specialist, with: {message: input.message}}",
    ]
    assert list(compile_spec(path, offline=True).steps[1].cases) == ["vip", "technical", "billing"]


def test_a_refine_producer_and_reviewer_are_replaced_whole(samples):
    path = samples / "specs" / "support_triage.yaml"
    editor = SpecEditor.open(path)
    producer = ("steps", 2, "refine", "producer")
    editor.set(producer, {"agent": "generalist", "with": {"message": "input.message"}})
    editor.set(("steps", 2, "refine", "reviewer", "with", "draft"), "vars.draft")
    editor.save()
    plan = compile_spec(path, offline=True)
    assert plan.steps[2].producer.agent.name == "generalist"
    assert "  producer:\n        agent: generalist\n        with:" in path.read_text()


def test_a_supervise_team_gains_loses_and_reorders_members(samples):
    path = samples / "specs" / "border_incident.yaml"
    editor = SpecEditor.open(path)
    team = ("steps", 0, "supervise", "team")
    editor.delete((*team, "carrier"))
    editor.insert((*team, "second-carrier"), {"agent": "carrier-liaison"}, at=0)
    editor.move((*team, "duty-manager"), 1)
    editor.save()
    plan = compile_spec(path, offline=True)
    assert [m.name for m in plan.steps[0].team] == [
        "second-carrier",
        "duty-manager",
        "customs-origin",
        "customs-destination",
    ]


def test_a_map_template_keeps_its_comment_when_one_of_its_fields_changes(samples):
    path = samples / "specs" / "asean_compliance.yaml"
    original = path.read_text()
    editor = SpecEditor.open(path)
    editor.set(("steps", 0, "step", "with", "product"), "input.company")
    editor.set(("steps", 0, "map", "max_concurrency"), 3)
    editor.save()
    assert changed_lines(original, path.read_text()) == [
        "-    map: {over: input.markets, as: market, max_concurrency: 6}",
        "+    map: {over: input.markets, as: market, max_concurrency: 3}",
        "-      with: {product: input.product, data_practices: input.data_practices}",
        "+      with: {product: input.company, data_practices: input.data_practices}",
    ]
    assert compile_spec(path, offline=True).steps[0].template.inputs["product"] == "input.company"


def test_a_step_and_what_reads_it_are_deleted_and_its_undo_too(samples):
    deal = samples / "specs" / "deal_review.yaml"
    editor = SpecEditor.open(deal)
    editor.delete(("steps", 2))
    editor.delete(("output", "decision"))
    editor.save()
    assert [s.id for s in compile_spec(deal, offline=True).steps] == ["reviews", "risk"]
    vendors = samples / "specs" / "vendor_onboarding.yaml"
    editor = SpecEditor.open(vendors)
    editor.delete(("steps", 0, "compensate"))
    editor.save()
    assert compile_spec(vendors, offline=True).steps[0].compensate is None


COMMENTED = """\
# A spec with comments everywhere.
name: commented
agents: ../agents/deal.yaml
steps:
  # the financial view
  - id: financial
    agent: financial-analyst  # the cheap one
    with: {terms: input.deal_terms, amount_usd: input.amount_usd}

  # the legal view
  - id: legal
    agent: legal-analyst
    with: {terms: input.deal_terms}
    # (no amount: legal does not price)
  # the technical view
  - id: technical
    agent: tech-analyst
    with: {terms: input.deal_terms}
# the result
output: steps.legal.output
"""


def test_a_step_removed_takes_its_comments_and_leaves_the_others(samples):
    path = samples / "specs" / "commented.yaml"
    path.write_text(COMMENTED)
    editor = SpecEditor.open(path)
    editor.delete(("steps", 1))
    editor.set(("output",), "steps.technical.output")
    assert changed_lines(COMMENTED, editor.text) == [
        "-",
        "-  # the legal view",
        "-  - id: legal",
        "-    agent: legal-analyst",
        "-    with: {terms: input.deal_terms}",
        "-    # (no amount: legal does not price)",
        "-output: steps.legal.output",
        "+output: steps.technical.output",
    ]
    editor.save()
    assert [s.id for s in compile_spec(path, offline=True).steps] == ["financial", "technical"]


def test_a_step_moved_takes_its_comments_along(samples):
    path = samples / "specs" / "commented.yaml"
    path.write_text(COMMENTED)
    editor = SpecEditor.open(path)
    editor.move(("steps", 2), 1)
    assert editor.text.split("steps:\n")[1].split("# the result")[0] == (
        "  # the financial view\n"
        "  - id: financial\n"
        "    agent: financial-analyst  # the cheap one\n"
        "    with: {terms: input.deal_terms, amount_usd: input.amount_usd}\n"
        "  # the technical view\n"
        "  - id: technical\n"
        "    agent: tech-analyst\n"
        "    with: {terms: input.deal_terms}\n"
        "\n"
        "  # the legal view\n"
        "  - id: legal\n"
        "    agent: legal-analyst\n"
        "    with: {terms: input.deal_terms}\n"
        "    # (no amount: legal does not price)\n"
    )
    editor.move(("steps", 2), 0)  # the first step's heading stays on top of the list
    assert editor.get(("steps",)) and [s["id"] for s in editor.get(("steps",))] == [
        "legal",
        "financial",
        "technical",
    ]
    assert sorted(line for line in editor.text.splitlines() if "#" in line) == sorted(
        line for line in COMMENTED.splitlines() if "#" in line
    )


@pytest.mark.parametrize("start", ["", "# drafted in the builder\n"])
def test_a_spec_is_built_from_an_empty_file(samples, start):
    path = samples / "specs" / "new.yaml"
    path.write_text(start)
    editor = SpecEditor.open(path)
    editor.set(("name",), "fresh")
    editor.set(("agents",), "../agents/deal.yaml")
    editor.set(("steps",), [])
    editor.insert(("steps", 0), {"id": "risk", "agent": "risk-aggregator"})
    editor.save()
    assert path.read_text() == start + (
        "name: fresh\nagents: ../agents/deal.yaml\n"
        "steps:\n  - id: risk\n    agent: risk-aggregator\n"  # lists as the samples write them
    )
    assert [s.id for s in compile_spec(path, offline=True).steps] == ["risk"]


def test_windows_newlines_and_a_byte_order_mark_are_kept(tmp_path):
    path = tmp_path / "spec.yaml"
    text = (ROOT / "specs" / "deal_review.yaml").read_text().replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    editor = SpecEditor.open(path)
    editor.save()
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.encode()
    editor.set(("deadline", "after"), "3d")
    editor.save()
    edited = path.read_bytes()
    assert edited.startswith(b"\xef\xbb\xbf") and edited.count(b"\r\n") == text.count("\r\n")
    assert changed_lines(text, edited[3:].decode()) == [
        "-deadline: {after: 2d, on_breach: notify}",
        "+deadline: {after: 3d, on_breach: notify}",
    ]


@pytest.mark.parametrize(
    ("loc", "value", "where", "said", "hint"),
    [
        (("steps", 5, "agent"), "x", "steps[5]", "no item 5: the list has 3 items (0 to 2)", ""),
        (("steps", 1, "agnet", "x"), 1, "steps[1].agnet", "no key 'agnet' here", "'agent'"),
        (("steps", "risk"), {}, "steps.risk", "'risk' is not an item number", ""),
        (("steps", 1, "agent", "name"), "x", "steps[1].agent", "this is text ('risk-agg", ""),
        (("input", 0), "x", "input[0]", "0 is not a key: this is a mapping", "known keys"),
        (("steps", 0, "optional"), "maybe", "steps[0].optional", "expected true or false", ""),
        (("steps", 1, "agnet"), "x", "steps[1].agnet", "unknown key 'agnet'", "spelling"),
        (("budget", "usd"), "lots", "budget.usd", "expected a number, got text", ""),
        (("steps", 0, "join"), 2, "steps[0].join", "expected 'all' or 'any' or a mapping", ""),
        (("steps",), "all of them", "steps", "expected a list, got text", ""),
        (("name",), {1, 2}, "name", "set cannot be written in a spec", "a list or a mapping"),
        ((), {}, "the spec", "give the place of a value inside the spec", "steps[0].agent"),
    ],
)
def test_a_bad_edit_is_refused_with_its_place_and_changes_nothing(loc, value, where, said, hint):
    editor = SpecEditor.open(ROOT / "specs" / "deal_review.yaml")
    with pytest.raises(SpecEditError) as info:
        editor.set(loc, value)
    assert str(info.value).startswith(f"{where}: ") and said in info.value.problem
    assert hint in info.value.hint
    assert not editor.changed


def test_bad_structural_edits_are_refused():
    editor = SpecEditor.open(ROOT / "specs" / "support_triage.yaml")
    cases = ("steps", 1, "route", "cases")
    refused = {
        "no key 'billng' here": lambda: editor.delete((*cases, "billng")),
        "there is already a key 'billing' here": lambda: editor.insert((*cases, "billing"), {}),
        "position 4 is not one of 0 to 3": lambda: editor.insert(("steps", 4), {}),
        "position 3 is not one of 0 to 2": lambda: editor.move(("steps", 0), 3),
        "no item 3: the list has 3 items": lambda: editor.move(("steps", 3), 0),
        "unknown key 'agnet'": lambda: editor.insert((*cases, "vip"), {"agnet": "x"}),
    }
    for said, bad in refused.items():
        with pytest.raises(SpecEditError, match=said):
            bad()
    assert not editor.changed


def test_a_file_changed_on_disk_since_it_was_opened_is_not_overwritten(tmp_path):
    path = tmp_path / "spec.yaml"
    shutil.copy(ROOT / "specs" / "deal_review.yaml", path)
    mine, theirs = SpecEditor.open(path), SpecEditor.open(path)
    theirs.set(("description",), "their words")
    theirs.save()
    mine.set(("description",), "my words")
    with pytest.raises(SpecEditError, match="changed on disk since it was opened"):
        mine.save()
    assert SpecEditor.open(path).get(("description",)) == "their words"


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("name: x\nsteps:\n  - id: a\n   agent: b\n")
    with pytest.raises(FileReadError) as info:
        SpecEditor.open(path)
    assert info.value.issues[0].line == 4


def test_key_paths_read_as_compile_problems_write_them():
    assert parse_loc("steps[1].route.cases.billing") == ("steps", 1, "route", "cases", "billing")
    with pytest.raises(SpecEditError, match="is not a key path"):
        parse_loc("steps[x]")


def leaves(value, loc=()):
    """(path, value) of every scalar in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*loc, index))
    else:
        yield loc, value
