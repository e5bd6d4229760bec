"""Compiling ``${VAR}`` in a provider's base_url: checked here, expanded on the worker."""

from __future__ import annotations

import pytest
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

TEMPLATE = "${PODIUM_TEST_LLM_URL:-http://127.0.0.1:9/v1}"
SPEC = {"name": "t", "agents": "agents.yaml", "steps": [{"id": "a", "agent": "w"}]}


def catalog(base_url: str, **more: str) -> str:
    return (
        "providers:\n"
        f"  acme:\n    base_url: '{base_url}'\n"
        + "".join(f"    {key}: '{value}'\n" for key, value in more.items())
        + "agents:\n  w: {model: 'acme:m'}\n"
    )


MALFORMED = [
    ("${PODIUM_TEST_LLM_URL", "is not closed"),
    ("http://${1X}/v1", "'1X' is not a variable name"),
    ("${}", "names no variable"),
    ("${URL:http://d/v1}", "only ':-' may follow"),
]


def test_a_template_compiles_unexpanded_and_a_malformed_one_is_refused_at_its_line(
    write_spec, monkeypatch
):
    for client_value in (None, "http://client-side.invalid/v1"):
        if client_value is None:
            monkeypatch.delenv("PODIUM_TEST_LLM_URL", raising=False)
        else:
            monkeypatch.setenv("PODIUM_TEST_LLM_URL", client_value)
        plan = compile_spec(write_spec(SPEC, catalog(TEMPLATE)))
        provider = plan.steps[0].agent.provider
        assert provider.name == "acme" and provider.base_url == TEMPLATE
        assert "client-side" not in plan.model_dump_json()  # expanded on the worker only
    for base_url, says in MALFORMED:
        path = write_spec(SPEC, catalog(base_url))
        with pytest.raises(CompileError) as info:
            compile_spec(path)
        [problem] = info.value.problems
        assert problem.file == path.parent / "agents.yaml" and problem.line == 3
        assert problem.where == "providers.acme.base_url" and says in problem.message
        assert "${NAME:-default}" in problem.message


def test_a_template_as_key_variable_is_refused(write_spec):
    path = write_spec(SPEC, catalog("http://127.0.0.1:9/v1", api_key_env="${ACME_KEY}"))
    with pytest.raises(CompileError) as info:
        compile_spec(path)
    [problem] = info.value.problems
    assert problem.where == "providers.acme.api_key_env" and problem.line == 4
    assert "write ACME_KEY instead of '${ACME_KEY}'" in problem.message


def test_missing_key_warning_says_it_is_decided_where_the_spec_is_compiled(write_spec, monkeypatch):
    monkeypatch.delenv("PODIUM_TEST_KEY", raising=False)
    path = write_spec(SPEC, catalog(TEMPLATE, api_key_env="PODIUM_TEST_KEY"))
    plan = compile_spec(path)
    assert plan.steps[0].agent.provider.name == "scripted"
    [warning] = plan.warnings
    assert "PODIUM_TEST_KEY is not set where the spec is compiled" in warning
    assert "workers' keys are not consulted" in warning
