"""Limits on what a spec may ask for (steps, nesting, text, priority), from the catalog's
policy or the defaults: refused before any step is compiled, naming the limit."""

from __future__ import annotations

import pytest
from podium.compiler.catalog_policy import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_STEPS,
    DEFAULT_MAX_TEXT_CHARS,
)
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

AGENTS = {"agents": {"writer": {"model": "scripted", "script": [{"output": {"t": "x"}}]}}}


def step(i: int) -> dict:
    return {"id": f"s{i}", "agent": "writer"}


def refused(write_spec, spec: dict, catalog: dict = AGENTS) -> CompileError:
    with pytest.raises(CompileError) as info:
        compile_spec(write_spec({"name": "big", "agents": "agents.yaml", **spec}, catalog))
    return info.value


def test_a_five_thousand_step_draft_is_refused_with_the_limit_and_nothing_else(write_spec):
    error = refused(write_spec, {"steps": [step(i) for i in range(5000)]})
    assert len(error.problems) == 1  # refused before the steps were compiled one by one
    text = str(error)
    assert "the spec has 5000 steps (nested ones included); the default allows at most " in text
    assert f"{DEFAULT_MAX_STEPS}" in text and "split it into sub-workflows" in text


def test_a_catalog_policy_sets_its_own_limits(write_spec):
    steps = {"steps": [step(i) for i in range(12)]}
    strict = {**AGENTS, "policy": {"max_steps": 10}}
    text = str(refused(write_spec, steps, strict))
    assert "catalog agents.yaml's policy allows at most 10" in text
    assert "ask whoever owns agents.yaml to raise policy: max_steps" in text
    roomy = {**AGENTS, "policy": {"max_steps": DEFAULT_MAX_STEPS + 100}}
    many = {"steps": [step(i) for i in range(DEFAULT_MAX_STEPS + 1)]}
    with pytest.raises(CompileError):
        compile_spec(write_spec({"name": "big", "agents": "agents.yaml", **many}, AGENTS))
    compile_spec(write_spec({"name": "big", "agents": "agents.yaml", **many}, roomy))


def test_nesting_past_the_limit_is_refused_where_it_goes_too_deep(write_spec):
    inner: dict = step(0)
    for level in range(DEFAULT_MAX_DEPTH + 1):
        inner = {"id": f"p{level}", "parallel": [inner]}
    text = str(refused(write_spec, {"steps": [inner]}))
    assert f"steps are nested {DEFAULT_MAX_DEPTH + 2} deep here" in text
    assert f"allows at most {DEFAULT_MAX_DEPTH}" in text


def test_a_huge_text_is_refused_at_its_place(write_spec):
    title = "x" * (DEFAULT_MAX_TEXT_CHARS + 1)
    spec = {"steps": [{"id": "ok", "approval": {"title": title}}]}
    error = refused(write_spec, spec)
    text = str(error)
    assert f"this text is {DEFAULT_MAX_TEXT_CHARS + 1:,} characters long" in text
    lines = error.problems[0].file.read_text().splitlines()  # type: ignore[union-attr]
    assert lines[error.problems[0].line - 1].strip().startswith("title: xxx")


def test_a_spec_cannot_push_itself_ahead_of_the_queue_past_the_policy(write_spec):
    text = str(refused(write_spec, {"steps": [step(0)], "priority": {"weight": 1000}}))
    assert "fairness weight 1000 is above the 10 that the default allows" in text
    strict = {**AGENTS, "policy": {"highest_priority": 3}}
    text = str(refused(write_spec, {"steps": [step(0)], "priority": {"key": 1}}, strict))
    assert "priority key 1 is more urgent than catalog agents.yaml's policy allows" in text
    assert "a person can still start a run with --priority" in text


def test_a_hundred_megabyte_spec_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as f:  # (sparse: no 100 MB written to disk)
        f.write("name: huge\nsteps: []\nsummary: ")
        f.truncate(100 * 1024 * 1024)
    with pytest.raises(CompileError) as info:
        compile_spec(path)
    assert "the spec file is 100.0 MB; specs are limited to 1 MB" in str(info.value)
