"""Deployment settings on the worker: ``${VAR}`` expansion and the worker's own catalog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from podium.activities import endpoints
from podium.activities.contracts import BUILTIN_PROVIDERS, AgentCall, AgentConfig, ProviderConfig
from podium.activities.env_template import UnsetVariable, expand, problem, variables
from podium.activities.errors import ProviderNotConfigured
from podium.activities.run_agent import run_agent
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

TEMPLATE = "${PODIUM_TEST_LLM_URL:-http://127.0.0.1:9/v1}"


def plan_provider(base_url: str = TEMPLATE, **more: object) -> ProviderConfig:
    return ProviderConfig(name="acme", kind="openai", base_url=base_url, **more)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_worker_catalog() -> Iterator[None]:
    endpoints.configure([])
    yield
    endpoints.configure([])


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("http://127.0.0.1:8080/v1", {}, "http://127.0.0.1:8080/v1"),
        ("${URL}", {"URL": "http://h:1/v1"}, "http://h:1/v1"),
        ("${URL:-http://d/v1}", {}, "http://d/v1"),
        ("${URL:-http://d/v1}", {"URL": ""}, "http://d/v1"),  # empty counts as unset
        ("${URL:-http://d/v1}", {"URL": "http://e/v1"}, "http://e/v1"),
        ("http://${HOST}:${PORT:-8080}/v1", {"HOST": "h"}, "http://h:8080/v1"),
        ("http://h/$path", {}, "http://h/$path"),  # a bare $ is kept
        ("${X:-}", {}, ""),
    ],
)
def test_expansion(text, env, expected):
    assert problem(text) is None
    assert expand(text, env) == expected


def test_unset_variable_without_default_is_named():
    with pytest.raises(UnsetVariable) as info:
        expand("http://${HOST}:${PORT}/v1", {"HOST": "h"})
    assert info.value.name == "PORT"
    assert variables("http://${HOST}:${PORT:-1}/v1") == ["HOST", "PORT"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("${", "is not closed"),
        ("http://${HOST/v1", "is not closed"),
        ("${}", "names no variable"),
        ("${1X}", "'1X' is not a variable name"),
        ("${A-B}", "'A-B' is not a variable name"),
        ("${X:y}", "only ':-' may follow"),
        ("${A:-${B}}", "no nested templates"),
    ],
)
def test_malformed_templates_are_described(text, says):
    wrong = problem(text)
    assert wrong is not None and says in wrong and "${NAME:-default}" in wrong
    with pytest.raises(ValueError):
        expand(text, {})


def test_plan_template_is_expanded_from_the_worker_environment():
    resolved = endpoints.resolve(plan_provider(), {"PODIUM_TEST_LLM_URL": "http://127.0.0.1:5/v1"})
    assert resolved.base_url == "http://127.0.0.1:5/v1"
    assert endpoints.resolve(plan_provider(), {}).base_url == "http://127.0.0.1:9/v1"
    literal = plan_provider("http://127.0.0.1:7/v1")
    assert endpoints.resolve(literal, {}) is literal


def test_unset_variable_is_a_permanent_error_naming_provider_field_and_variable():
    with pytest.raises(ProviderNotConfigured) as info:
        endpoints.resolve(plan_provider("${PODIUM_TEST_NOWHERE}/v1"), {})
    message = info.value.message
    assert "'acme'" in message and "base_url" in message and "PODIUM_TEST_NOWHERE" in message
    assert "set PODIUM_TEST_NOWHERE where the worker runs" in message
    assert not info.value.retryable


def test_expansion_that_is_not_a_url_is_refused():
    with pytest.raises(ProviderNotConfigured, match="not an http:// or https:// URL"):
        endpoints.resolve(plan_provider("${U}"), {"U": "127.0.0.1:8080"})


def test_worker_catalog_wins_for_deployment_settings(caplog):
    own = ProviderConfig(
        name="acme",
        kind="openai",
        base_url="${OWN_URL:-http://127.0.0.1:5/v1}",
        api_key_env="OWN_KEY",
        structured_output="json_object",
        requests_per_second=99,
        tokens_per_minute=1,
    )
    caplog.set_level("INFO", logger="podium.worker")
    endpoints.configure([*BUILTIN_PROVIDERS.values(), own])
    assert endpoints.overridden() == ["acme"]
    assert sum("provider 'acme'" in r.getMessage() for r in caplog.records) == 1
    assert "${OWN_URL:-http://127.0.0.1:5/v1}" in caplog.text and "OWN_KEY" in caplog.text

    plan = plan_provider(
        "http://127.0.0.1:9/v1", api_key_env="PLAN_KEY", requests_per_second=5, tokens_per_minute=7
    )
    resolved = endpoints.resolve(plan, {})
    assert resolved.base_url == "http://127.0.0.1:5/v1"
    assert resolved.api_key_env == "OWN_KEY" and resolved.structured_output == "json_object"
    # the limiter's settings stay the plan's (the run's limiter workflow enforces them)
    assert resolved.requests_per_second == 5 and resolved.tokens_per_minute == 7
    assert plan.base_url == "http://127.0.0.1:9/v1"  # the plan is not changed

    other = ProviderConfig(name="other", kind="openai", base_url="http://127.0.0.1:9/v1")
    assert endpoints.resolve(other, {}) is other
    assert endpoints.resolve(BUILTIN_PROVIDERS["scripted"]) is BUILTIN_PROVIDERS["scripted"]


def test_for_call_replaces_only_the_provider():
    agent = AgentConfig(name="a", provider=plan_provider(), model="m")
    call = AgentCall(agent=agent, step_id="s")
    resolved = endpoints.for_call(call)
    assert resolved.agent.provider.base_url == "http://127.0.0.1:9/v1"
    assert resolved.step_id == "s" and resolved.agent.model == "m"
    assert call.agent.provider.base_url == TEMPLATE
    plain = AgentCall(agent=agent.model_copy(update={"provider": BUILTIN_PROVIDERS["scripted"]}))
    assert endpoints.for_call(plain) is plain


async def test_run_agent_fails_the_call_permanently_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv("PODIUM_TEST_NOWHERE", raising=False)
    agent = AgentConfig(name="a", provider=plan_provider("${PODIUM_TEST_NOWHERE}"), model="m")
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(run_agent, AgentCall(agent=agent, step_id="s"))
    assert info.value.type == "ProviderNotConfigured" and info.value.non_retryable
    assert "PODIUM_TEST_NOWHERE" in info.value.message and "base_url" in info.value.message
