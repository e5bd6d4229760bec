"""The offline scripted model: rules, templates, schema synthesis, faults."""

from __future__ import annotations

import pytest
from jsonschema import validate
from podium.activities.contracts import (
    AgentCall,
    AgentConfig,
    FaultInjection,
    ProviderConfig,
    ScriptRule,
)
from podium.activities.errors import OutputSchemaError, ProviderServerError
from podium.activities.providers.scripted import complete, synthesise

SCRIPTED = ProviderConfig(name="scripted", kind="scripted")
SCHEMA = {
    "type": "object",
    "required": ["level", "reasons", "score"],
    "properties": {
        "level": {"enum": ["low", "high"]},
        "reasons": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        "score": {"type": "integer", "minimum": 3},
        "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
    },
}


def agent(**kw) -> AgentConfig:
    return AgentConfig(name="a", provider=SCRIPTED, model="scripted", **kw)


async def test_first_matching_rule_wins_and_echoes_inputs():
    rules = [
        ScriptRule(
            when="amount > `100`", output={"level": "high", "why": "{{ who }} spends {{ amount }}"}
        ),
        ScriptRule(output={"level": "low"}),
    ]
    high = await complete(
        AgentCall(agent=agent(script=rules), inputs={"amount": 500, "who": "Ana"})
    )
    low = await complete(AgentCall(agent=agent(script=rules), inputs={"amount": 5}))
    assert high.output == {"level": "high", "why": "Ana spends 500"}
    assert low.output == {"level": "low"}
    assert high.offline and high.model == "scripted:a" and high.usage.input_tokens > 0


async def test_without_rules_the_output_is_synthesised_and_schema_valid():
    reply = await complete(AgentCall(agent=agent(output_schema=SCHEMA), inputs={}))
    validate(reply.output, SCHEMA)
    assert synthesise(SCHEMA) == reply.output  # deterministic


async def test_a_script_that_breaks_the_schema_fails_like_a_real_model():
    bad = agent(output_schema=SCHEMA, script=[ScriptRule(output={"level": "medium"})])
    with pytest.raises(OutputSchemaError, match="does not match the output schema"):
        await complete(AgentCall(agent=bad, inputs={}))


async def test_fault_injection_raises_the_named_class():
    flaky = agent(faults=FaultInjection(fail_times=1, error="ProviderServerError"))
    with pytest.raises(ProviderServerError, match="scripted fault"):
        await complete(AgentCall(agent=flaky, inputs={}))
