"""One agent call as a provider sees it: attempts, idempotency keys, timeouts, the record
of every failed try (a journaling fault server on loopback is the judge)."""

from __future__ import annotations

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.launch import start_run
from podium.workflows.state import RunState
from temporalio.client import WorkflowFailureError

from tests.support.fault_server import fault_server

pytestmark = pytest.mark.usefixtures("worker")

SCHEMA = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}
FAST = {"initial_interval": "50ms", "max_interval": "200ms"}


def catalog(url: str, **agent: object) -> dict:
    primary = {"model": "mock:m", "output": SCHEMA, "retry": {**FAST, "max_attempts": 4}}
    return {
        # (instructions only: a 500 to a response_format would be probed at once in a
        # weaker mode, within the same attempt — tests/activities/test_openai_provider.py)
        "providers": {"mock": {"base_url": url, "circuit": False, "structured_output": "none"}},
        "agents": {
            "primary": {**primary, **agent},
            "backup": {"model": "mock:backup", "output": SCHEMA, "retry": FAST},
        },
    }


def one_step(**step: object) -> dict:
    return {
        "name": "calls",
        "agents": "agents.yaml",
        "steps": [{"id": "s", "agent": "primary", "with": {"doc": "input.doc"}, **step}],
    }


async def test_retries_share_a_key_a_repair_round_and_a_fallback_each_get_their_own(
    client, write_spec
):
    with fault_server(script=["500", "invalid", "invalid", "429", "429"]) as llm:
        spec = write_spec(one_step(), catalog(llm.url, fallback=["backup"], repair_attempts=1))
        handle = await start_run(client, compile_spec(spec), {"doc": "x"})
        result = await handle.result()
        journal = llm.entries()
    # call 1: 500 then invalid (one key, one body); call 2 (repair): invalid;
    # call 3 (fallback): 429, 429, ok
    assert [e.outcome for e in journal] == ["500", "invalid", "invalid", "429", "429", "ok"]
    first, repair, fallback = journal[0].key, journal[2].key, journal[3].key
    assert journal[1].key == first and journal[1].body_sha == journal[0].body_sha
    assert journal[4].key == journal[5].key == fallback
    assert len({first, repair, fallback}) == 3, "a repair round or a fallback reused a key"
    assert all(e.key.startswith(f"{handle.id}/s/") for e in journal)
    step = result.state.steps[0]
    assert step.status == "completed" and step.agent == "backup" and step.attempts == 3
    assert [t.text() for t in step.tried] == [
        "primary ProviderServerError, OutputSchemaError → repair round 1 with the "
        "validation errors",
        "primary OutputSchemaError → fall back to backup",
        "backup ok after 2× ProviderRateLimited",
    ]


async def test_step_timeout_is_the_http_deadline_and_ends_as_a_named_timeout(client, write_spec):
    with fault_server(latency_s=1.5) as llm:  # it answers every request, 1.5 s on
        spec = write_spec(
            one_step(timeout="500ms"),
            catalog(llm.url, timeout="60s", retry={**FAST, "max_attempts": 2}),
        )
        handle = await start_run(client, compile_spec(spec), {"doc": "x"})
        # the run fails although the provider answers: each attempt stopped waiting at the
        # step's 500ms (with the agent's 60s as the HTTP deadline, the first answer wins)
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    message = info.value.cause.message
    assert "ProviderTimeout" in message and "no answer from provider 'mock'" in message
    assert "within 0.5 s" in message and "127.0.0.1:" in message
    state = await handle.query("status", result_type=RunState)
    assert state.steps[0].error_type == "ProviderTimeout" and state.steps[0].attempts == 2


async def test_a_temporal_timeout_is_stored_as_a_named_string_and_status_still_reads(
    client, write_spec
):
    with fault_server(latency_s=3) as llm:
        retry = {**FAST, "max_elapsed": "1s"}
        spec = write_spec(one_step(), catalog(llm.url, timeout="20s", retry=retry))
        handle = await start_run(client, compile_spec(spec), {"doc": "x"})
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    state = await handle.query("status", result_type=RunState)  # validated: no int error type
    assert state.steps[0].error_type == "ScheduleToCloseTimeout"
    assert "total time cap" in (state.steps[0].error or "")


async def test_a_fallback_after_retries_is_visible_in_the_step_record(client, write_spec):
    with fault_server(script=["429"] * 4) as llm:
        spec = write_spec(one_step(), catalog(llm.url, fallback=["backup"]))
        result = await (await start_run(client, compile_spec(spec), {"doc": "x"})).result()
    step = result.state.steps[0]
    assert step.agent == "backup"
    assert step.tried[0].attempts == 4 and len(step.tried[0].errors) == 4
    assert step.tried[0].text() == "primary 4× ProviderRateLimited → fall back to backup"
