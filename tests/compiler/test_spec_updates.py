"""Turning a spec into new data (a proposal, a form's answer) changes only the lines whose
values differ: the same data changes nothing, in any key order; each realistic change
touches its own lines, comments kept; steps are matched by id, moved as few as can be."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.spec_editing import SpecEditError, SpecEditor
from podium.compiler.spec_updates import Change, changes, update

from tests.compiler.test_spec_editing import COMMENTED, SAMPLES, changed_lines, edit
from tests.conftest import ROOT

DEAL = ROOT / "specs" / "deal_review.yaml"


def reversed_keys(value):
    """``value`` with every mapping's keys in the opposite order."""
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_updated_to_its_own_data_is_byte_identical(sample):
    editor = edit(sample)
    update(editor, (), editor.get(()))
    update(editor, (), reversed_keys(editor.get(())))  # a planner's key order is not an edit
    assert editor.text == sample.read_text() and not editor.changed


def revised(change) -> tuple[SpecEditor, str, dict]:
    """deal_review updated to its data as ``change`` edits it: (editor, original, new)."""
    editor = SpecEditor.open(DEAL)
    new = copy.deepcopy(editor.get(()))
    change(new)
    update(editor, (), new)
    assert editor.get(()) == new
    return editor, DEAL.read_text(), new


def test_an_agent_changed_is_one_line():
    editor, original, _ = revised(lambda s: s["steps"][1].update(agent="legal-analyst"))
    assert changed_lines(original, editor.text) == [
        "-    agent: risk-aggregator",
        "+    agent: legal-analyst",
    ]


def test_a_step_added_to_a_parallel_is_one_line_in_its_siblings_style(tmp_path):
    tax = {"id": "tax", "agent": "legal-analyst", "with": {"terms": "input.deal_terms"}}
    editor, original, _ = revised(lambda s: s["steps"][0]["parallel"].insert(1, tax))
    assert changed_lines(original, editor.text) == [
        "+      - {id: tax, agent: legal-analyst, with: {terms: input.deal_terms}}"
    ]
    assert editor.text.index("id: financial") < editor.text.index("id: tax")
    assert editor.text.index("id: tax") < editor.text.index("id: legal")
    assert_compiles(editor, tmp_path)


def test_a_step_removed_takes_only_its_lines(tmp_path):
    def remove(spec):
        del spec["steps"][2]
        del spec["output"]["decision"]

    editor, original, _ = revised(remove)
    assert [line for line in changed_lines(original, editor.text) if line[0] == "+"] == []
    removed = {line[1:] for line in changed_lines(original, editor.text)}
    signoff = original.split("  - id: signoff\n")[1].split("output:")[0].splitlines()
    assert removed == {"  - id: signoff", *signoff, "  decision: steps.signoff.output"}
    assert_compiles(editor, tmp_path)


def test_an_approval_timeout_changed_is_one_line():
    editor, original, _ = revised(lambda s: s["steps"][2]["approval"].update(timeout="2d"))
    assert changed_lines(original, editor.text) == ["-      timeout: 1d", "+      timeout: 2d"]


def test_an_input_field_added_is_its_own_line_and_the_required_list(tmp_path):
    def add(spec):
        spec["input"]["properties"]["region"] = {"type": "string", "enum": ["ASEAN", "EU"]}
        spec["input"]["required"].append("region")

    editor, original, _ = revised(add)
    assert changed_lines(original, editor.text) == [
        "-  required: [company, deal_terms, amount_usd]",
        "+  required: [company, deal_terms, amount_usd, region]",
        "+    region: {type: string, enum: [ASEAN, EU]}",
    ]
    assert_compiles(editor, tmp_path)


def test_steps_reordered_are_moved_with_their_comments_and_edited_in_place():
    editor = SpecEditor(COMMENTED)
    new = editor.get(())
    technical = new["steps"].pop(2)
    new["steps"].insert(0, {**technical, "agent": "legal-analyst"})
    new["steps"][2]["with"]["extra"] = "input.notes"  # legal, now third
    update(editor, (), new)
    assert editor.get(()) == new
    assert editor.text.split("steps:\n")[1].split("# the result")[0] == (
        "  # the financial view\n"  # the list's heading stays on top
        "  # the technical view\n"  # the moved step's own, with it
        "  - id: technical\n"
        "    agent: legal-analyst\n"
        "    with: {terms: input.deal_terms}\n"
        "\n"
        "  - id: financial\n"
        "    agent: financial-analyst  # the cheap one\n"
        "    with: {terms: input.deal_terms, amount_usd: input.amount_usd}\n"
        "\n"
        "  # the legal view\n"
        "  - id: legal\n"
        "    agent: legal-analyst\n"
        "    with: {terms: input.deal_terms, extra: input.notes}\n"
        "    # (no amount: legal does not price)\n"
    )


def test_a_catalog_rule_changed_is_one_line():
    catalog = ROOT / "agents" / "deal.yaml"
    editor = edit(catalog)
    new = copy.deepcopy(editor.get(()))
    new["agents"]["legal-analyst"]["script"][0]["when"] = "contains(terms, 'exclusivity')"
    new["agents"]["tech-analyst"]["latency"] = "0.4s"
    update(editor, (), new)
    assert changed_lines(catalog.read_text(), editor.text) == [
        "-      - when: \"contains(terms, 'exclusive')\"",
        "+      - when: \"contains(terms, 'exclusivity')\"",
        "-    latency: 0.2s",
        "+    latency: 0.4s",
    ]


def test_a_place_inside_the_spec_is_updated_alone():
    editor = SpecEditor.open(DEAL)
    update(editor, ("budget",), {"usd": 0.5, "on_exceed": "fail"})  # 0.5 is 0.50: kept
    assert changed_lines(DEAL.read_text(), editor.text) == [
        "-budget: {usd: 0.50, on_exceed: escalate, escalate_to: [cfo]}",
        "+budget: {usd: 0.50, on_exceed: fail}",
    ]


def test_a_value_of_another_type_is_an_edit():
    old = {"max_rounds": 1, "optional": True, "ratio": 1.0}
    new = {"max_rounds": 1.0, "optional": 1, "ratio": 1.0}
    assert changes(old, new) == [
        Change("set", ("max_rounds",), 1.0),
        Change("set", ("optional",), 1),
    ]


def test_a_list_of_another_length_keeps_the_items_it_still_has():
    old = [{"when": "a", "output": 1}, {"when": "b", "output": 2}, {"output": 3}]
    new = [{"when": "a", "output": 1}, {"when": "b2", "output": 2}, {"when": "c"}, {"output": 3}]
    assert changes(old, new, ("script",)) == [
        Change("set", ("script", 1, "when"), "b2"),
        Change("insert", ("script", 2), {"when": "c"}),
    ]


def test_a_spec_is_a_mapping():
    with pytest.raises(SpecEditError, match="a spec is a mapping"):
        update(SpecEditor.open(DEAL), (), ["steps"])


@pytest.mark.parametrize("kept", [4, 5])
def test_steps_are_matched_by_id_and_the_fewest_are_moved(kept):
    """Every order of kept steps, a removed one and a new one: the edits give the new
    order, moving only the steps outside the longest run already in order."""
    old = [{"id": i, "agent": "a"} for i in "abcde"]
    for order in itertools.permutations("abcde", kept):
        new = [{"id": i, "agent": "a"} for i in order]
        new.insert(len(new) // 2, {"id": "new", "agent": "b"})
        made = changes({"steps": old}, {"steps": new})
        assert replay(old, made) == new
        moves = sum(c.kind == "move" for c in made)
        assert moves == kept - longest_increasing(["abcde".index(i) for i in order])


def replay(items: list, made: list[Change]) -> list:
    items = list(items)
    for change in made:
        index = change.loc[-1]
        if change.kind == "delete":
            del items[index]
        elif change.kind == "insert":
            items.insert(index, change.value)
        elif change.kind == "move":
            items.insert(change.to, items.pop(index))
    return items


def longest_increasing(values: list[int]) -> int:
    return max(
        (
            len(c)
            for n in range(len(values) + 1)
            for c in itertools.combinations(values, n)
            if list(c) == sorted(c)
        ),
        default=0,
    )


def assert_compiles(editor: SpecEditor, tmp_path: Path) -> None:
    """The edited spec, saved beside its catalog, compiles."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "deal.yaml").write_bytes((ROOT / "agents" / "deal.yaml").read_bytes())
    editor.save(tmp_path / "specs" / "deal_review.yaml")
    compile_spec(tmp_path / "specs" / "deal_review.yaml", offline=True)
