"""The compiler refuses bad specs before any workflow starts: file, line, place, hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.compiler.inputs import check_input
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

CATALOG = {
    "agents": {
        "researcher": {
            "model": "scripted",
            "output": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
        "writer": {"model": "scripted"},
    }
}


def spec(*steps: dict, **extra) -> dict:
    return {"name": "t", "agents": "agents.yaml", "steps": list(steps), **extra}


def problems(path: Path) -> list:
    with pytest.raises(CompileError) as info:
        compile_spec(path)
    return info.value.problems


def test_valid_spec_compiles_to_a_plan(write_spec):
    path = write_spec(
        spec(
            {"id": "research", "agent": "researcher", "with": {"q": "input.q", "n": 3}},
            {
                "id": "write",
                "agent": "writer",
                "with": {"facts": "steps.research.output"},
                "timeout": "5s",
            },
        ),
        CATALOG,
    )
    plan = compile_spec(path)
    assert [s.id for s in plan.steps] == ["research", "write"]
    assert plan.steps[0].inputs == {"q": "input.q", "n": "`3`"}
    assert plan.steps[1].timeout_s == 5.0
    assert plan.output == "steps.write.output"


def test_unknown_agent_names_file_line_step_and_suggests(write_spec):
    path = write_spec(spec({"id": "a", "agent": "reseacher"}), CATALOG)
    [p] = problems(path)
    assert p.file == path and p.line == 5
    assert "steps[0].agent (step 'a')" in p.where
    assert "unknown agent 'reseacher'" in p.message
    assert "did you mean 'researcher'" in p.hint


def test_unknown_key_is_an_error_not_a_default(write_spec):
    path = write_spec(spec({"id": "a", "agent": "writer", "timout": "5s"}), CATALOG)
    [p] = problems(path)
    assert "unknown key 'timout'" in p.message and p.line == 6


def test_unknown_key_in_catalog_points_into_the_catalog(write_spec, tmp_path):
    path = write_spec(
        spec({"id": "a", "agent": "writer"}),
        {"agents": {"writer": {"model": "scripted", "retries": 3}}},
    )
    [p] = problems(path)
    assert p.file == (tmp_path / "agents.yaml").resolve() and "retries" in p.message


def test_bad_jmespath_is_refused(write_spec):
    path = write_spec(spec({"id": "a", "agent": "writer", "with": {"q": "input.[oops"}}), CATALOG)
    [p] = problems(path)
    assert "invalid JMESPath" in p.message and "steps[0].with.q" in p.where


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("steps.b.output", "may not have run yet"),
        ("steps.nope.output", "unknown step 'nope'"),
        ("steps.a.output", "reads its own output"),
        ("company", "reads 'company', which does not exist"),
    ],
)
def test_references_to_later_missing_or_own_steps_are_refused(write_spec, ref, expected):
    path = write_spec(
        spec({"id": "a", "agent": "writer", "with": {"x": ref}}, {"id": "b", "agent": "writer"}),
        CATALOG,
    )
    [p] = problems(path)
    assert expected in p.message


def test_all_problems_are_reported_at_once(write_spec):
    path = write_spec(
        spec(
            {"id": "a", "agent": "nobody"},
            {"id": "a", "agent": "writer", "with": {"x": "steps.zz"}},
        ),
        CATALOG,
    )
    messages = " | ".join(p.message for p in problems(path))
    assert "unknown agent 'nobody'" in messages
    assert "duplicate step id 'a'" in messages
    assert "unknown step 'zz'" in messages


def test_bad_duration_unknown_provider_and_bad_output_schema(write_spec):
    catalog = {
        "agents": {
            "w": {"model": "acme:gpt", "timeout": "soon", "output": {"type": "objekt"}},
        }
    }
    path = write_spec(spec({"id": "a", "agent": "w"}), catalog)
    text = "\n".join(str(p) for p in problems(path))
    assert "'soon' is not a duration" in text


def test_unknown_provider_is_named(write_spec):
    path = write_spec(spec({"id": "a", "agent": "w"}), {"agents": {"w": {"model": "acme:gpt"}}})
    [p] = problems(path)
    assert "unknown provider 'acme'" in p.message and "providers:" in p.hint


def test_invalid_output_schema_is_refused(write_spec):
    path = write_spec(
        spec({"id": "a", "agent": "w"}), {"agents": {"w": {"output": {"type": "objekt"}}}}
    )
    [p] = problems(path)
    assert "not a valid JSON Schema" in p.message


def test_missing_catalog_and_malformed_yaml(write_spec, tmp_path):
    path = write_spec({"name": "t", "agents": "missing.yaml", "steps": [{"id": "a", "agent": "w"}]})
    assert any("agent catalog 'missing.yaml' not found" in p.message for p in problems(path))
    bad = write_spec("name: t\nsteps: [\n", name="bad.yaml")
    [p] = problems(bad)
    assert "not valid YAML" in p.message and p.line is not None


def test_step_id_must_be_usable_in_expressions(write_spec):
    path = write_spec(spec({"id": "my-step", "agent": "writer"}), CATALOG)
    [p] = problems(path)
    assert "not a plain name" in p.message and "steps.<id>" in p.hint


def test_input_not_matching_the_schema_is_refused(write_spec):
    path = write_spec(
        spec(
            {"id": "a", "agent": "writer"},
            input={
                "type": "object",
                "required": ["company"],
                "properties": {"company": {"type": "string"}},
            },
        ),
        CATALOG,
    )
    plan = compile_spec(path)
    check_input(plan, {"company": "Acme"})
    with pytest.raises(CompileError) as info:
        check_input(plan, {"company": 7})
    assert "7 is not of type 'string'" in str(info.value)
    with pytest.raises(CompileError) as info:
        check_input(plan, {})
    assert "'company' is a required property" in str(info.value)


def test_missing_key_falls_back_to_scripted_with_a_warning(write_spec, monkeypatch):
    monkeypatch.delenv("PODIUM_TEST_KEY", raising=False)
    catalog = {
        "providers": {
            "acme": {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "PODIUM_TEST_KEY"}
        },
        "agents": {"w": {"model": "acme:big-model"}},
    }
    path = write_spec(spec({"id": "a", "agent": "w"}), catalog)
    plan = compile_spec(path)
    assert plan.steps[0].agent.provider.name == "scripted"
    assert "PODIUM_TEST_KEY is not set" in plan.warnings[0]
    monkeypatch.setenv("PODIUM_TEST_KEY", "sk-test")
    plan = compile_spec(path)
    assert plan.steps[0].agent.provider.name == "acme"
    assert plan.steps[0].agent.provider.api_key_env == "PODIUM_TEST_KEY"
    assert "sk-test" not in plan.model_dump_json()


def test_sample_specs_compile():
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "specs").glob("*.yaml")):
        assert compile_spec(path, offline=True).steps


# -- patterns ------------------------------------------------------------------------
def step(step_id: str, **extra) -> dict:
    return {"id": step_id, "agent": "writer", **extra}


def test_cycle_is_refused_naming_the_cycle(write_spec):
    path = write_spec(
        spec(step("a", needs=["c"]), step("b", needs=["a"]), step("c", needs=["b"])), CATALOG
    )
    [p] = problems(path)
    assert "steps form a cycle: a → c → b → a" in p.message


def test_unknown_needs_is_refused(write_spec):
    path = write_spec(spec(step("a"), step("b", needs=["aa", "zzz"])), CATALOG)
    found = problems(path)
    assert [p.message for p in found] == ["needs unknown step 'aa'", "needs unknown step 'zzz'"]
    assert "did you mean 'a'" in found[0].hint


def test_needs_can_point_into_a_parallel_branch_and_unlocks_reading_it(write_spec):
    path = write_spec(
        spec(
            {"id": "fan", "parallel": [step("fast"), step("slow")]},
            step("after", needs=["fast"], **{"with": {"x": "steps.fast.output"}}),
            step("bad", needs=["fast"], **{"with": {"x": "steps.slow.output"}}),
        ),
        CATALOG,
    )
    [p] = problems(path)
    assert "step 'slow', which may not have run yet" in p.message and "(step 'bad')" in p.where


def test_route_with_no_cases(write_spec):
    path = write_spec(spec({"id": "r", "route": {"on": "input.kind", "cases": {}}}), CATALOG)
    [p] = problems(path)
    assert "route: has no cases" in p.message


def test_map_over_must_be_an_expression(write_spec):
    path = write_spec(
        spec({"id": "m", "map": {"over": ["SG", "MY"]}, "step": {"agent": "writer"}}), CATALOG
    )
    [p] = problems(path)
    assert "map.over" in p.where and "expected text, got a list of 2 items" in p.message
    path = write_spec(
        spec({"id": "m", "map": {"over": "input.[["}, "step": {"agent": "writer"}}), CATALOG
    )
    assert "invalid JMESPath" in problems(path)[0].message


def test_map_template_reads_its_item_through_vars(write_spec):
    ok = spec(
        {
            "id": "m",
            "map": {"over": "input.xs", "as": "market"},
            "step": {"agent": "writer", "with": {"m": "vars.market", "i": "vars.index"}},
        }
    )
    assert compile_spec(write_spec(ok, CATALOG)).steps[0].kind == "map"
    bad = spec(
        {
            "id": "m",
            "map": {"over": "input.xs", "as": "market"},
            "step": {"agent": "writer", "with": {"m": "vars.item"}},
        }
    )
    [p] = problems(write_spec(bad, CATALOG))
    assert "vars.item is not defined here" in p.message and "vars.market" in p.hint


@pytest.mark.parametrize("missing", ["until", "max_rounds"])
def test_refine_needs_until_and_max_rounds(write_spec, missing):
    refine = {
        "producer": {"agent": "writer"},
        "reviewer": {"agent": "writer"},
        "until": "vars.review.ok",
        "max_rounds": 3,
    }
    del refine[missing]
    [p] = problems(write_spec(spec({"id": "r", "refine": refine}), CATALOG))
    assert f"refine: needs {missing}:" in p.message


def test_sub_workflow_not_found_or_recursive(write_spec, tmp_path):
    path = write_spec(spec({"id": "s", "workflow": "nope.yaml"}), CATALOG)
    [p] = problems(path)
    assert "sub-workflow spec 'nope.yaml' not found" in p.message
    (tmp_path / "b.yaml").write_text(
        "name: b\nagents: agents.yaml\nsteps:\n  - {id: back, workflow: spec.yaml}\n"
    )
    path = write_spec(spec({"id": "s", "workflow": "b.yaml"}), CATALOG)
    [p] = problems(path)
    assert "sub-workflow recursion: spec.yaml → b.yaml → spec.yaml" in p.message
    assert p.file == tmp_path / "b.yaml"


def test_a_step_must_have_exactly_one_kind(write_spec):
    [p] = problems(
        write_spec(spec({"id": "x", "agent": "writer", "map": {"over": "input.a"}}), CATALOG)
    )
    assert "exactly one of agent, capability, parallel, map" in p.message
    assert "found: agent, map" in p.message


def test_needs_only_at_top_level_and_quorum_bounds(write_spec):
    path = write_spec(
        spec({"id": "fan", "join": {"quorum": 3}, "parallel": [step("a"), step("b", needs=["a"])]}),
        CATALOG,
    )
    messages = [p.message for p in problems(path)]
    assert "needs: is only for top-level steps" in messages
    assert "quorum 3 is more than the 2 branches" in messages


def test_nested_step_ids_must_be_unique(write_spec):
    path = write_spec(
        spec(
            step("summary"),
            {"id": "m", "map": {"over": "input.xs"}, "step": {"id": "summary", "agent": "writer"}},
        ),
        CATALOG,
    )
    [p] = problems(path)
    assert "step id 'summary' is used twice" in p.message


def test_a_map_whose_items_ask_people_runs_inline(write_spec):
    path = write_spec(
        spec(
            {
                "id": "m",
                "map": {"over": "input.xs", "batch_size": 10},
                "step": {"approval": {"title": "ok?"}},
            }
        ),
        CATALOG,
    )
    assert compile_spec(path).steps[0].batch_size > 10_000
