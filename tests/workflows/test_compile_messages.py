"""What the compiler says: the real problem first (not pydantic's union noise), the step
it is in, and warnings for what runs but is likely a mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

CATALOG = {"agents": {"writer": {"model": "scripted"}, "backup": {"model": "scripted"}}}


def spec(*steps: dict, **extra) -> dict:
    return {"name": "t", "agents": "agents.yaml", "steps": list(steps), **extra}


def problems(path: Path) -> list:
    with pytest.raises(CompileError) as info:
        compile_spec(path, offline=True)
    return info.value.problems


# -- the real problem first --------------------------------------------------------------
def test_an_inline_catalog_error_leads_with_the_real_problem(write_spec):
    inline = {"agents": {"w": {"model": "scripted", "retries": 3}}}
    [p] = problems(write_spec({**spec({"id": "a", "agent": "w"}), "agents": inline}))
    assert p.where == "agents.agents.w.retries" and p.line == 6
    assert p.message == "unknown key 'retries'" and "spelling" in p.hint


def test_an_inline_catalog_bound_says_the_limit_and_the_value(write_spec):
    inline = {"agents": {"w": {"retry": {"max_attempts": 0}}}}
    [p] = problems(write_spec({**spec({"id": "a", "agent": "w"}), "agents": inline}))
    assert p.where == "agents.agents.w.retry.max_attempts"
    assert p.message == "must be greater than or equal to 1, got 0"


def test_a_value_of_no_accepted_kind_is_one_line_naming_the_kinds(write_spec):
    [p] = problems(write_spec({**spec({"id": "a", "agent": "writer"}), "agents": 5}, CATALOG))
    assert p.where == "agents"
    assert p.message == "expected text, a list or a mapping, got a number (5)"


def test_a_wrong_join_is_one_line(write_spec):
    [p] = problems(write_spec(spec({"id": "a", "agent": "writer", "join": "most"}), CATALOG))
    assert p.message == "expected 'all' or 'any' or a mapping, got text ('most')"


def test_a_date_where_text_is_expected_says_to_quote_it(write_spec):
    path = write_spec("name: 2024-01-01\nagents: agents.yaml\nsteps: [{id: a, agent: writer}]\n")
    [p] = problems(path)
    assert p.message == "expected text, got a date (2024-01-01)" and '"2024-01-01"' in p.hint


@pytest.mark.parametrize("value", [".nan", ".inf", "1.0e+300", "99999999d"])
def test_durations_must_be_finite_and_sane(write_spec, value):
    path = write_spec(
        f"name: t\nagents: agents.yaml\nsteps: [{{id: a, agent: writer, timeout: {value}}}]\n",
        CATALOG,
    )
    [p] = problems(path)
    assert p.where.startswith("steps[0].timeout") and "duration" in p.message


# -- the step a problem is in ------------------------------------------------------------
def test_problems_inside_approval_and_capability_steps_name_the_step(write_spec):
    path = write_spec(
        spec(
            {"id": "ask", "approval": {"title": "ok?", "details": "input.["}},
            {"id": "pick", "capability": "writing", "require": {"colour": "'red'"}},
        ),
        {"agents": {"writer": {"capabilities": ["writing"]}}},
    )
    where = sorted(p.where for p in problems(path))
    assert where == [
        "steps[0].approval.details (step 'ask')",
        "steps[1].require.colour (step 'pick')",
    ]
    path = write_spec(spec({"id": "ask", "approval": {"title": "ok?", "timeout": "soon"}}))
    [p] = problems(path)
    assert p.where == "steps[0].approval.timeout (step 'ask')"


# -- warnings: shown, but the spec runs ------------------------------------------------------
def test_an_agent_that_is_its_own_fallback_is_a_warning_with_its_line(write_spec, tmp_path):
    catalog = {"agents": {"writer": {"fallback": ["writer", "backup", "backup"]}, "backup": {}}}
    plan = compile_spec(write_spec(spec({"id": "a", "agent": "writer"}), catalog), offline=True)
    assert [f.name for f in plan.steps[0].fallbacks] == ["backup"]
    own, twice = plan.warnings
    assert own.startswith(f"{(tmp_path / 'agents.yaml').resolve()}:4: agents.writer.fallback[0]:")
    assert "agent 'writer' lists itself as its own fallback; that entry is ignored" in own
    assert "hint: remove it" in own
    assert "lists fallback 'backup' twice" in twice


def test_an_explicitly_empty_approver_list_is_a_warning(write_spec):
    path = write_spec(spec({"id": "ask", "approval": {"title": "ok?", "approvers": []}}), CATALOG)
    [warning] = compile_spec(path).warnings
    assert "steps[0].approval.approvers (step 'ask')" in warning
    assert "approvers: [] is empty, so anyone who can reach the run" in warning
    omitted = write_spec(spec({"id": "ask", "approval": {"title": "ok?"}}), CATALOG)
    assert compile_spec(omitted).warnings == []  # the documented "anyone"


def test_an_empty_approver_name_can_never_decide_and_is_an_error(write_spec):
    path = write_spec(
        spec({"id": "ask", "approval": {"title": "ok?", "approvers": [" "]}}), CATALOG
    )
    [p] = problems(path)
    assert p.where == "steps[0].approval.approvers[0] (step 'ask')"
    assert "an empty name can never decide" in p.message


def test_escalate_to_without_anything_that_escalates_is_a_warning(write_spec):
    path = write_spec(
        spec(
            {"id": "a", "agent": "writer", "escalate_to": ["ops"]},
            budget={"usd": 1, "escalate_to": ["cfo"]},
        ),
        CATALOG,
    )
    budget, step = compile_spec(path).warnings
    assert "budget.escalate_to: escalate_to: is never used" in budget
    assert "on_exceed: escalate" in budget
    assert "steps[0].escalate_to (step 'a')" in step and "on_error: escalate" in step


def test_warnings_are_shown_with_the_problems_of_an_invalid_spec(write_spec):
    path = write_spec(
        spec(
            {"id": "ask", "approval": {"title": "ok?", "approvers": []}},
            {"id": "b", "agent": "nobody"},
        ),
        CATALOG,
    )
    with pytest.raises(CompileError) as info:
        compile_spec(path)
    assert "unknown agent 'nobody'" in str(info.value)
    assert "warning: " in str(info.value) and "approvers: [] is empty" in str(info.value)


def test_a_key_that_yaml_reads_as_a_number_or_boolean_says_to_quote_it(write_spec):
    path = write_spec(
        "name: t\nagents: agents.yaml\nsteps:\n"
        "  - {id: r, route: {on: input.priority, cases: {1: {agent: writer}}}}\n",
        CATALOG,
    )
    [p] = problems(path)
    assert p.where == "steps[0].route.cases (step 'r')" and p.line == 4
    assert p.message == "key 1 is a number (1), not text (keys here are names)"
    assert p.hint == 'quote it: "1": …'


def test_a_bug_while_compiling_is_reported_as_such_not_as_a_traceback(write_spec, monkeypatch):
    import podium.compiler.spec_compiler

    def broken(*args):
        raise KeyError("oops")

    monkeypatch.setattr(podium.compiler.spec_compiler, "check_run_people", broken)
    [p] = problems(write_spec(spec({"id": "a", "agent": "writer"}), CATALOG))
    assert "Podium could not compile this spec: KeyError: 'oops'" in p.message
    assert "a bug in Podium, not in your spec" in p.hint
