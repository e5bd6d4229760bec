"""The builder's edit forms, generated from the spec language's JSON Schema: every step
and the settings of every sample read back unchanged from an untouched form (and from one
whose every field was typed again); an edit changes just what was edited, typed as the
schema says; wrong input is said next to its field, never raised; a kind registered
besides the built-ins gets its form; the fields render labelled and escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

import pytest
from podium.compiler.schema import spec_schema
from podium.compiler.spec_editing import SpecEditor
from podium.starters.web.schema_forms import (
    Form,
    kind_keys,
    pickers_for,
    read_form,
    step_form,
    top_form,
)
from podium.starters.web.templating import environments
from podium.workflows.kinds.base import NodeBase, StepKind, register, unregister
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

ROOT = Path(__file__).parents[3]
SAMPLES = sorted((ROOT / "specs").glob("*.yaml"))
DEAL = ROOT / "specs" / "deal_review.yaml"


def load(path: Path) -> dict[str, Any]:
    """A spec as the builder's editor reads it."""
    return SpecEditor.open(path).get(())  # type: ignore[no-any-return]


def step_paths(spec: dict[str, Any]) -> Iterator[tuple[str | int, ...]]:
    """The key path of every step of a spec, nested ones included."""

    def walk(step: Any, at: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
        if not isinstance(step, dict):
            return
        yield at
        for key in ("compensate", "step"):
            yield from walk(step.get(key), (*at, key))
        for key in ("parallel", "steps"):
            for i, inner in enumerate(step.get(key) or []):
                yield from walk(inner, (*at, key, i))
        route, refine = step.get("route") or {}, step.get("refine") or {}
        for case, inner in (route.get("cases") or {}).items():
            yield from walk(inner, (*at, "route", "cases", case))
        yield from walk(route.get("default"), (*at, "route", "default"))
        for key in ("producer", "reviewer"):
            yield from walk(refine.get(key), (*at, "refine", key))

    for i, step in enumerate(spec["steps"]):
        yield from walk(step, ("steps", i))


def at(spec: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        spec = spec[part]
    return spec


def forms_of(path: Path) -> Iterator[tuple[str, Form, dict[str, Any]]]:
    spec = load(path)
    yield "settings", top_form(spec, spec_schema(), pickers_for(spec, path)), spec
    for where in step_paths(spec):
        step = at(spec, where)
        yield str(where), step_form(step, spec_schema(), pickers_for(spec, path, at=where)), step


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_every_step_and_the_settings_of_a_sample_read_back_unchanged(path):
    count = 0
    for where, form, old in forms_of(path):
        untouched = read_form(form, form.posted())
        assert untouched.value == old and not untouched.errors, where
        retyped = {name: f"{value} " for name, value in form.posted().items() if value != "on"}
        retyped |= {name: "on" for name, value in form.posted().items() if value == "on"}
        again = read_form(form, retyped)  # every field read by its reader, not kept as shown
        assert again.value == old and not again.errors, where
        assert form.refilled(form.posted(), {}).posted() == form.posted()
        count += 1
    assert count > 1


def deal_form(where: tuple[str | int, ...]) -> tuple[Form, dict[str, Any]]:
    spec = load(DEAL)
    return step_form(at(spec, where), spec_schema(), pickers_for(spec, DEAL, at=where)), spec


def test_editing_the_approval_timeout_changes_only_it():
    form, spec = deal_form(("steps", 2))
    posted = form.posted() | {"approval.timeout": "2d"}
    value, errors = read_form(form, posted)
    assert not errors
    expected = at(spec, ("steps", 2))
    expected["approval"]["timeout"] = "2d"
    assert value == expected
    assert list(value["approval"]) == list(expected["approval"])  # keys stay in their order


def test_choosing_another_agent_and_adding_a_with_row():
    form, spec = deal_form(("steps", 1))
    shown = form.posted()
    assert shown["agent"] == "risk-aggregator" and shown["with.3.key"] == ""  # the row to add
    posted = shown | {"agent": "tech-analyst", "with.3.key": "amount"}
    posted |= {"with.3.value": "input.amount_usd"}
    value, errors = read_form(form, posted)
    assert not errors and value["agent"] == "tech-analyst"
    assert value["with"] == {**at(spec, ("steps", 1, "with")), "amount": "input.amount_usd"}
    literal, _ = read_form(form, shown | {"with.3.key": "limit", "with.3.value": "3"})
    assert literal["with"]["limit"] == 3  # JSON is a literal; other text an expression
    emptied, _ = read_form(form, shown | {"with.0.key": "", "with.0.value": ""})
    assert list(emptied["with"]) == ["legal", "technical"]


def test_adding_an_escalation_level():
    form, spec = deal_form(("steps", 2))
    posted = form.posted() | {"approval.escalate.1.to.0": "ceo", "approval.escalate.1.after": "8h"}
    value, errors = read_form(form, posted)
    assert not errors
    assert value["approval"]["escalate"] == [
        {"to": ["cfo"], "after": "4h"},
        {"to": ["ceo"], "after": "8h"},
    ]
    assert read_form(form, FormData(list(posted.items()))).value == value  # as Starlette reads it
    half, errors = read_form(form, form.posted() | {"approval.escalate.1.to.0": "ceo"})
    assert errors == {"approval.escalate.1.after": "After is required"}


def test_adding_an_input_field_with_a_minimum():
    spec = load(DEAL)
    form = top_form(spec, spec_schema(), pickers_for(spec, DEAL))
    posted = form.posted() | {
        "input.3.name": "discount",
        "input.3.type": "number",
        "input.3.required": "on",
        "input.3.minimum": "0",
        "input.3.maximum": "0.5",
        "input.3.description": "share off the list price",
    }
    value, errors = read_form(form, posted)
    assert not errors
    assert value["input"]["required"] == ["company", "deal_terms", "amount_usd", "discount"]
    assert value["input"]["properties"]["discount"] == {
        "type": "number",
        "minimum": 0,
        "maximum": 0.5,
        "description": "share off the list price",
    }
    assert value["input"]["properties"]["amount_usd"] == {"type": "number", "minimum": 0}
    renamed, errors = read_form(form, form.posted() | {"input.0.name": "customer"})
    assert not errors and renamed["input"]["required"] == ["customer", "deal_terms", "amount_usd"]
    assert list(renamed["input"]["properties"]) == ["customer", "deal_terms", "amount_usd"]


def test_what_the_input_rows_cannot_show_is_kept():
    path = ROOT / "specs" / "asean_compliance.yaml"
    spec = load(path)
    form = top_form(spec, spec_schema(), pickers_for(spec, path))
    rows = next(f for f in form.fields if f.key == "input").entries
    assert rows[3].key == "markets" and "uniqueItems: true" in rows[3].extra
    posted = form.posted() | {"input.3.description": "where it sells"}
    del posted["input.3.required"]
    value, errors = read_form(form, posted)
    assert not errors
    assert value["input"]["properties"]["markets"] == {
        **spec["input"]["properties"]["markets"],
        "description": "where it sells",
    }
    assert value["input"]["required"] == ["company", "product", "data_practices"]


def test_wrong_input_is_said_next_to_its_field_and_never_raised():
    form, spec = deal_form(("steps", 1))
    posted = form.posted() | {
        "retry.max_attempts": "0",
        "retry.backoff": "lots",
        "timeout": "soon",
        "budget.tokens": "2.5",
        "on_error": "explode",
    }
    value, errors = read_form(form, posted)
    assert errors["retry.max_attempts"] == "Max attempts must be at least 1"
    assert errors["retry.backoff"] == "Backoff: 'lots' is not a number"
    assert errors["timeout"].startswith("Timeout: 'soon' is not a duration")
    assert errors["budget.tokens"] == "Tokens: '2.5' is not a whole number"
    assert "is not one of fail, continue, escalate" in errors["on_error"]
    nasty = ["", " ", "<script>", "1e999", "NaN", "-0", "[1,", '{"a": 1}', "\x00", "9" * 400]
    for path in SAMPLES:
        for _, each, _ in forms_of(path):
            names = [*each.posted(), *(inner.name for f in each.fields for inner in f.walk())]
            for junk in nasty:
                read_form(each, dict.fromkeys(names, junk))  # nothing raised


def test_a_step_shows_its_kinds_keys_and_leaves_its_steps_to_the_diagram():
    spec = load(ROOT / "specs" / "support_triage.yaml")
    path = ROOT / "specs" / "support_triage.yaml"
    route = step_form(at(spec, ("steps", 1)), spec_schema(), pickers_for(spec, path))
    names = {f.name for f in route.fields for f in f.walk()}
    assert "route.on" in names and "agent" not in names and "retry" not in names
    assert [(n.name, n.holds) for n in route.nested] == [
        ("route.cases", "steps by name"),
        ("route.default", "step"),
    ]
    agent = step_form(at(spec, ("steps", 0)), spec_schema(), pickers_for(spec, path))
    assert {f.key for f in agent.more} >= {"retry", "timeout", "goto", "needs", "optional"}
    assert {f.key for f in agent.primary} >= {"id", "agent", "with", "when"}
    assert [n.name for n in agent.nested] == ["compensate"]
    new = step_form({}, spec_schema(), pickers_for(spec, path), kind="approval")
    assert [f.key for f in new.primary] == ["id", "description", "when", "approval"]


def test_join_picks_a_word_or_a_quorum():
    form, spec = deal_form(("steps", 0))
    assert [n.name for n in form.nested] == ["parallel"]
    value, errors = read_form(form, form.posted() | {"join": "QuorumEntry", "join.quorum": "2"})
    assert not errors and value["join"] == {"quorum": 2}
    value, errors = read_form(form, form.posted() | {"join.quorum": "3"})  # a quorum: 3
    assert not errors and value["join"] == {"quorum": 3}
    value, errors = read_form(form, form.posted() | {"join": "any"})
    assert not errors and value["join"] == "any"


def test_a_deadline_written_short_stays_short():
    step = {"id": "quick", "agent": "risk-aggregator", "deadline": "2h"}
    form = step_form(step, spec_schema(), pickers_for(load(DEAL), DEAL))
    assert read_form(form, form.posted() | {"deadline.after": "3h"}).value["deadline"] == "3h"
    longer = form.posted() | {"deadline.on_breach": "notify"}
    assert read_form(form, longer).value["deadline"] == {"after": "2h", "on_breach": "notify"}


def test_a_supervise_team_gets_a_member():
    path = ROOT / "specs" / "border_incident.yaml"
    spec = load(path)
    form = step_form(at(spec, ("steps", 0)), spec_schema(), pickers_for(spec, path))
    posted = form.posted() | {
        "supervise.team.4._key": "broker",
        "supervise.team.4.agent": "carrier-liaison",
    }
    value, errors = read_form(form, posted)
    assert not errors
    team = value["supervise"]["team"]
    assert list(team) == [*spec["steps"][0]["supervise"]["team"], "broker"]
    assert team["broker"] == {"agent": "carrier-liaison"}


def test_pickers_suggest_what_the_edited_step_may_read():
    spec = load(DEAL)
    first = pickers_for(spec, DEAL, at=("steps", 0), people=["ann"])
    assert "input.amount_usd" in first.expressions
    assert not [e for e in first.expressions if e.startswith("steps.")]
    signoff = pickers_for(spec, DEAL, at=("steps", 2))
    assert {"steps.risk.output.level", "steps.legal.output.severity"} <= set(signoff.expressions)
    assert "steps.signoff.output" not in signoff.expressions
    assert "risk-aggregator" in signoff.agents and "ann" in first.people
    assert {"deal-desk", "cfo"} <= set(signoff.people)
    assert "vendor_onboarding.yaml" in signoff.specs and "../agents/deal.yaml" in first.catalogs


class ShoutEntry(BaseModel):
    """What a shout step says."""

    word: str = Field(description="The word to shout.")
    times: int = Field(1, ge=1, le=5)
    volume: Literal["loud", "louder"] = "loud"


class ShoutNode(NodeBase):
    kind: Literal["shout"] = "shout"
    word: str


class ShoutKind(StepKind):
    name = "shout"
    node = ShoutNode
    spec_key = "shout"
    spec_entry = ShoutEntry
    summary = "say a word, loudly"


@pytest.fixture
def shout():
    register(ShoutKind())
    yield
    unregister("shout")


@pytest.mark.usefixtures("shout")
def test_a_kind_registered_besides_the_built_ins_gets_its_form():
    assert kind_keys()["shout"] == ("shout",)
    step = {"id": "loud", "shout": {"word": "hello"}, "when": "input.ok"}
    form = step_form(step, spec_schema(), pickers_for(load(DEAL), DEAL))
    assert form.kind == "shout"
    group = next(f for f in form.fields if f.key == "shout")
    assert [c.name for c in group.children] == ["shout.word", "shout.times", "shout.volume"]
    assert group.help == "say a word, loudly" and group.required
    value, errors = read_form(form, form.posted() | {"shout.times": "3"})
    assert not errors and value == {**step, "shout": {"word": "hello", "times": 3}}
    _, errors = read_form(form, form.posted() | {"shout.times": "9"})
    assert errors == {"shout.times": "Times must be at most 5"}


class Inputs(HTMLParser):
    """The ids of a page's inputs and the ids its labels are for."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.inputs.append(str(found.get("id")))
        if tag == "label":
            self.labelled.add(str(found.get("for")))


def render(form: Form, language: str = "en") -> str:
    page = '{% from "builder/fields.html" import fields %}{{ fields(form) }}'
    return environments()[language].from_string(page).render(form=form)


def test_the_fields_render_labelled_and_escaped():
    form, spec = deal_form(("steps", 2))
    page = render(form)
    parsed = Inputs()
    parsed.feed(page)
    assert len(parsed.inputs) > 10 and set(parsed.inputs) <= parsed.labelled
    assert '<label for="step-approval-timeout">Timeout</label>' in page
    assert 'name="approval.escalate.1.after"' in page  # the level to add
    assert '<datalist id="step-pick-people">' in page and '<option value="cfo">' in page
    evil = {**at(spec, ("steps", 2)), "when": "<script>alert(1)</script>"}
    shown = render(step_form(evil, spec_schema(), pickers_for(spec, DEAL, at=("steps", 2))))
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "Pengaturan lainnya" in render(form, "id")
    for path in SAMPLES:
        for _, each, _ in forms_of(path):
            parsed = Inputs()
            parsed.feed(render(each))
            assert set(parsed.inputs) <= parsed.labelled, path


def test_a_refused_form_shows_what_was_typed_and_why():
    form, _ = deal_form(("steps", 2))
    posted = form.posted() | {"approval.timeout": "whenever"}
    value, errors = read_form(form, posted)
    page = render(form.refilled(posted, errors))
    assert re.search(
        r'id="step-approval-timeout" name="approval.timeout" value="whenever"[^>]*aria-invalid',
        page,
    )
    assert '<span id="step-approval-timeout-error" class="error" role="alert">Timeout:' in page


def test_a_spec_and_a_step_built_from_nothing_by_typing_in_fields():
    settings = top_form({}, spec_schema(), pickers_for({}, DEAL))
    assert settings.posted()["agents.0"] == "" and [n.name for n in settings.nested] == ["steps"]
    value, errors = read_form(
        settings,
        settings.posted()
        | {
            "name": "deal_review",
            "agents.0": "../agents/deal.yaml",
            "input.0.name": "company",
            "input.0.type": "string",
            "input.0.required": "on",
            "budget.usd": "0.50",
            "budget.on_exceed": "escalate",
            "budget.escalate_to.0": "cfo",
            "output.0.key": "risk",
            "output.0.value": "steps.risk.output",
        },
    )
    assert not errors
    assert value == {
        "name": "deal_review",
        "input": {
            "type": "object",
            "required": ["company"],
            "properties": {"company": {"type": "string"}},
        },
        "agents": "../agents/deal.yaml",
        "output": {"risk": "steps.risk.output"},
        "budget": {"usd": 0.5, "on_exceed": "escalate", "escalate_to": ["cfo"]},
    }
    step = step_form({}, spec_schema(), pickers_for(value, DEAL), kind="agent")
    posted = step.posted() | {"id": "risk", "agent": "risk-aggregator", "with.0.key": "terms"}
    made, errors = read_form(step, posted | {"with.0.value": "input.deal_terms"})
    assert not errors
    assert made == {"id": "risk", "agent": "risk-aggregator", "with": {"terms": "input.deal_terms"}}
