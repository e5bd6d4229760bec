"""The catalog's guard: compiled — what the plan carries for agents and their tools, and
the problems the compiler names (an unknown kind, an unknown or unfit classifier)."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

TOOLS = {
    "page": {"function": "tests.support.tools:fx_rate", "guard": {"output": "redact"}},
    "plain": {"function": "tests.support.tools:fx_rate"},
}


def spec(catalog: dict) -> dict:
    return {"name": "g", "agents": catalog, "steps": [{"id": "a", "agent": "intake"}]}


def compiled(write_spec, catalog: dict):
    return compile_spec(write_spec(spec(catalog)), offline=True)


def problems(path: Path) -> list:
    with pytest.raises(CompileError) as info:
        compile_spec(path, offline=True)
    return info.value.problems


def test_an_agent_guard_and_its_tools_guards_in_the_plan(write_spec):
    catalog = {
        "tools": TOOLS,
        "agents": {
            "intake": {
                "tools": ["page", "plain"],
                "guard": {
                    "input": "mask",
                    "output": {"pii": "block", "kinds": ["card", "sg_nric"]},
                    "injection": {"classifier": "judge", "on_trip": "escalate"},
                    "escalate_to": ["privacy-desk"],
                },
            },
            "judge": {"model": "scripted"},
        },
    }
    agent = compiled(write_spec, catalog).steps[0].agent
    guard = agent.guard
    assert guard.input.action == "mask" and "vn_cccd" in guard.input.kinds
    assert guard.output.action == "block" and guard.output.kinds == ["card", "sg_nric"]
    assert guard.injection.classifier == "judge" and guard.escalates()
    assert set(agent.guard_agents) == {"judge"}
    page, plain = agent.tools
    assert page.guard.output.action == "redact"  # its own check …
    assert page.guard.injection.classifier == "judge"  # … and the agent's injection check,
    assert page.guard.injection.on_trip == "escalate"  # tripping as the agent's says
    assert page.guard.escalate_to == ["privacy-desk"]
    assert plain.guard.input is None and plain.guard.injection.rules


def test_no_guard_no_checks(write_spec):
    agent = compiled(write_spec, {"agents": {"intake": {"model": "scripted"}}}).steps[0].agent
    assert agent.guard is None and agent.guard_agents == {}


def test_an_unknown_kind_is_named_with_a_suggestion(write_spec):
    catalog = {"agents": {"intake": {"guard": {"input": {"pii": "mask", "kinds": ["nric"]}}}}}
    [p] = problems(write_spec(spec(catalog)))
    assert p.message == "unknown kind of personal data 'nric'"
    assert p.where == "agents.agents.intake.guard.input.kinds[0]" and "sg_nric" in p.hint


def test_an_unknown_action_is_one_line_naming_the_choices(write_spec):
    catalog = {"agents": {"intake": {"guard": {"output": "hide"}}}}
    [p] = problems(write_spec({**spec(catalog), "agents": "agents.yaml"}, catalog))
    assert p.where == "agents.intake.guard.output" and p.file.name == "agents.yaml"
    assert p.message == "expected a mapping or 'mask', 'redact' or 'block', got text ('hide')"


def test_an_unknown_classifier_agent(write_spec):
    guard = {"injection": {"classifier": "jugde"}}
    catalog = {"agents": {"intake": {"guard": guard}, "judge": {"model": "scripted"}}}
    [p] = problems(write_spec(spec(catalog)))
    assert p.message == "unknown classifier agent 'jugde'" and "'judge'" in p.hint
    assert p.where == "agents.agents.intake.guard.injection.classifier"


@pytest.mark.parametrize(
    ("judge", "said"),
    [
        ({"tools": ["plain"]}, "has tools"),
        ({"guard": {"injection": {"classifier": "intake"}}}, "a classifier of its own"),
    ],
)
def test_a_classifier_that_cannot_be_one(write_spec, judge, said):
    catalog = {
        "tools": TOOLS,
        "agents": {"intake": {"guard": {"injection": {"classifier": "judge"}}}, "judge": judge},
    }
    found = problems(write_spec(spec(catalog)))
    assert any(said in p.message for p in found), [p.message for p in found]


def test_an_agent_is_not_its_own_classifier(write_spec):
    catalog = {"agents": {"intake": {"guard": {"injection": {"classifier": "intake"}}}}}
    [p] = problems(write_spec(spec(catalog)))
    assert "cannot be its own classifier" in p.message


def test_escalate_to_without_escalation_is_a_warning(write_spec):
    catalog = {"agents": {"intake": {"guard": {"input": "block", "escalate_to": ["ops"]}}}}
    plan = compiled(write_spec, catalog)
    assert any("never escalates" in w for w in plan.warnings)
