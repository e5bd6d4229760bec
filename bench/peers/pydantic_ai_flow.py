"""support_triage on Pydantic AI's Temporal integration (``pydantic_ai.durable_exec.temporal``).

Written as its docs write durable agents: module-level ``Agent``s made durable by the
``TemporalDurability`` capability (the successor of the ``TemporalAgent`` wrapper, which
is deprecated since 2.x and works the same way: each model request is an activity),
listed on the workflow for ``PydanticAIPlugin`` to register; the workflow's code runs
each agent with ``agent.run`` and routes and loops in plain Python, the structured
answers as ``output_type`` models (Pydantic AI's default tool output: the model answers
by calling ``final_result``). The model is a ``FunctionModel`` shared by every agent: it
sleeps ``Latency.seconds`` and answers what the catalog's scripts answer
(``support_script``), telling agents apart by their instructions. Six model-request
activities per run, as Podium's variant makes six calls.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.durable_exec.temporal import (
    PydanticAIPlugin,
    PydanticAIWorkflow,
    TemporalDurability,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker, WorkflowRunner

from peers.support_script import (
    GENERALIST,
    INSTRUCTIONS,
    MAX_ROUNDS,
    SPECIALISTS,
    Latency,
    Review,
    Ticket,
    Triage,
    TriageReply,
    scripted_answer,
)

TASK_QUEUE = "peak-pydantic-ai"


async def _scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """The test model: sleeps ``Latency.seconds``, then answers as the agent's catalog
    script does — text, or a call of the output tool for a structured answer."""
    await asyncio.sleep(Latency.seconds)
    prompt = next(
        part.content
        for part in messages[-1].parts
        if part.part_kind == "user-prompt" and isinstance(part.content, str)
    )
    text = scripted_answer(info.instructions, prompt)
    if info.output_tools:
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.loads(text))])
    return ModelResponse(parts=[TextPart(text)])


MODEL = FunctionModel(_scripted, model_name="scripted")


def _agent(name: str, output_type: type[Any] = str) -> Agent[None, Any]:
    return Agent(
        MODEL,
        name=name,
        instructions=INSTRUCTIONS[name],
        output_type=output_type,
        capabilities=[TemporalDurability()],
    )


TRIAGE = _agent("triage", Triage)
ANSWERING = {name: _agent(name) for name in [*SPECIALISTS.values(), GENERALIST]}
WRITER = _agent("reply-writer")
REVIEWER = _agent("reply-reviewer", Review)


def _prompt(**inputs: Any) -> str:
    """An agent's inputs (support_triage's ``with:``), as its user prompt."""
    return json.dumps(inputs)


@workflow.defn(name="PydanticAISupportTriage")
class SupportTriage(PydanticAIWorkflow):
    """Triage → the routed specialist (the generalist by default) → a reply refined by a
    reviewer, at most three drafts."""

    __pydantic_ai_agents__ = [TRIAGE, *ANSWERING.values(), WRITER, REVIEWER]

    @workflow.run
    async def run(self, ticket: Ticket) -> TriageReply:
        triage = (await TRIAGE.run(_prompt(message=ticket.message))).output
        specialist = ANSWERING[SPECIALISTS.get(triage.category, GENERALIST)]
        answer = (await specialist.run(_prompt(message=ticket.message))).output
        feedback: str | None = None
        for _ in range(MAX_ROUNDS):
            prompt = _prompt(name=ticket.name, answer=answer, feedback=feedback)
            draft = (await WRITER.run(prompt)).output
            review = (await REVIEWER.run(_prompt(draft=draft))).output
            if review.approved:
                break
            feedback = review.note
        return TriageReply(category=triage.category, reply=draft)


async def start(client: Client, run_id: str, ticket: dict[str, str]) -> None:
    """Start one run (``client`` connected with ``plugin()``)."""
    await client.start_workflow(
        SupportTriage.run, Ticket(**ticket), id=run_id, task_queue=TASK_QUEUE
    )


def plugin() -> PydanticAIPlugin:
    """``PydanticAIPlugin`` (the client and the worker's): its data converter, its sandbox
    pass-throughs, the listed agents' activities."""
    return PydanticAIPlugin()


def worker(client: Client, activity_slots: int, runner: WorkflowRunner | None) -> Worker:
    """The worker of one process: the workflow and the agents' activities on one queue."""
    extra = {"workflow_runner": runner} if runner else {}
    return Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[SupportTriage],
        max_concurrent_activities=activity_slots,
        **extra,
    )
