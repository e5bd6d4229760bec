"""The run_agent activity's own guarantees, outside any workflow."""

from __future__ import annotations

import pytest
from podium.activities import run_agent as run_agent_module
from podium.activities.contracts import AgentCall, AgentConfig, ProviderConfig
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment


def scripted_call() -> AgentCall:
    agent = AgentConfig(
        name="w", provider=ProviderConfig(name="scripted", kind="scripted"), model="scripted"
    )
    return AgentCall(agent=agent, step_id="s", attempt=2)


async def test_an_unexpected_error_is_reported_once_as_internal_not_retried(monkeypatch):
    async def broken(call):
        raise ZeroDivisionError("division by zero in a provider plugin")

    monkeypatch.setitem(run_agent_module.PROVIDER_KINDS, "scripted", broken)
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(run_agent_module.run_agent, scripted_call())
    error = info.value
    assert error.type == "InternalError" and error.non_retryable
    assert error.message == (
        "unexpected ZeroDivisionError in the worker: division by zero in a provider plugin"
    )
    assert error.details[0]["attempt"] == 2
