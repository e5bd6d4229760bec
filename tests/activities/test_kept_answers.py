"""An answer is kept on the worker that got it: the same activity run again there (its
report was lost while the Temporal server was away) is answered without a new provider
call; another activity, or a first run, always asks the provider."""

from __future__ import annotations

import dataclasses

from podium.activities import run_agent as run_agent_module
from podium.activities.contracts import AgentCall, AgentConfig, ProviderConfig
from podium.activities.providers.reply import ProviderReply
from temporalio.testing import ActivityEnvironment


def call() -> AgentCall:
    agent = AgentConfig(
        name="w", provider=ProviderConfig(name="scripted", kind="scripted"), model="scripted"
    )
    return AgentCall(agent=agent, step_id="s", idempotency_key="run/s/1", attempt=1)


def run(activity_id: str, attempt: int) -> ActivityEnvironment:
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(
        environment.info, activity_id=activity_id, attempt=attempt, workflow_run_id="r-1"
    )
    return environment


async def test_the_same_activity_run_again_here_is_answered_without_the_provider(monkeypatch):
    asked: list[str] = []

    async def provider(agent_call: AgentCall) -> ProviderReply:
        asked.append(agent_call.idempotency_key)
        return ProviderReply(output=f"answer {len(asked)}", model="m")

    monkeypatch.setitem(run_agent_module.PROVIDER_KINDS, "scripted", provider)
    first = await run("7", 1).run(run_agent_module.run_agent, call())
    again = await run("7", 2).run(run_agent_module.run_agent, call())  # its report was lost
    assert (again.output, again.worker_retries) == ("answer 1", 1) and len(asked) == 1
    other = await run("8", 2).run(run_agent_module.run_agent, call())  # another activity
    fresh = await run("7", 1).run(run_agent_module.run_agent, call())  # a first run
    assert (first.output, other.output, fresh.output) == ("answer 1", "answer 2", "answer 3")


async def test_a_tool_call_run_again_here_is_not_made_again(monkeypatch):
    from podium.activities.tool_contracts import ToolCallInput, ToolSpec
    from podium.activities.tools import run as run_module

    made: list[dict] = []

    async def tool(tool_call: ToolCallInput) -> dict:
        made.append(tool_call.arguments)
        return {"booking": f"BK-{len(made)}"}

    monkeypatch.setattr(run_module, "_run", tool)
    book = ToolCallInput(
        tool=ToolSpec(name="book", kind="function", function="m:f", side_effects=True),
        arguments={"seat": "12A"},
        idempotency_key="run/s/1/0",
    )
    first = await run("9", 1).run(run_module.run_tool, book)
    again = await run("9", 2).run(run_module.run_tool, book)  # its report was lost
    assert first.content == again.content == {"booking": "BK-1"} and len(made) == 1
