"""support_triage on the OpenAI Agents SDK's Temporal integration (``temporalio-openai-agents``).

Written as its samples write agent workflows: module-level ``Agent``s, a workflow whose
code calls ``Runner.run`` for each agent (``OpenAIAgentsPlugin`` turns every model call
into an ``invoke_model_activity`` activity) and routes and loops in plain Python, the
structured answers as ``output_type`` models. The model is the worker's: a test model
provider (``temporalio.openai_agents.testing.TestModelProvider``) hands every agent one
scripted ``Model`` that sleeps ``Latency.seconds`` and answers what the catalog's scripts
answer (``support_script``). Six model activities per run, as Podium's variant makes six
calls. Tracing is off (``OPENAI_AGENTS_DISABLE_TRACING=1``, set by ``plugin()``): its
default exporter would send spans to OpenAI.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client
from temporalio.openai_agents import ModelActivityParameters, OpenAIAgentsPlugin
from temporalio.openai_agents.testing import ResponseBuilders, TestModelProvider
from temporalio.worker import Worker, WorkflowRunner

from agents import Agent, Model, ModelResponse, Runner
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

TASK_QUEUE = "peak-openai-agents"
MODEL = "gpt-4o-mini"  # the catalog's; the test model provider answers for any name


def _agent(name: str, output_type: type[BaseModel] | None = None) -> Agent[Any]:
    return Agent(name=name, instructions=INSTRUCTIONS[name], model=MODEL, output_type=output_type)


TRIAGE = _agent("triage", Triage)
ANSWERING = {name: _agent(name) for name in [*SPECIALISTS.values(), GENERALIST]}
WRITER = _agent("reply-writer")
REVIEWER = _agent("reply-reviewer", Review)


def _prompt(**inputs: Any) -> str:
    """An agent's inputs (support_triage's ``with:``), as its user message."""
    return json.dumps(inputs)


@workflow.defn(name="OpenAIAgentsSupportTriage")
class SupportTriage:
    """Triage → the routed specialist (the generalist by default) → a reply refined by a
    reviewer, at most three drafts."""

    @workflow.run
    async def run(self, ticket: Ticket) -> TriageReply:
        triage = (await Runner.run(TRIAGE, _prompt(message=ticket.message))).final_output
        specialist = ANSWERING[SPECIALISTS.get(triage.category, GENERALIST)]
        answer = (await Runner.run(specialist, _prompt(message=ticket.message))).final_output
        feedback: str | None = None
        for _ in range(MAX_ROUNDS):
            prompt = _prompt(name=ticket.name, answer=answer, feedback=feedback)
            draft = (await Runner.run(WRITER, prompt)).final_output
            review = (await Runner.run(REVIEWER, _prompt(draft=draft))).final_output
            if review.approved:
                break
            feedback = review.note
        return TriageReply(category=triage.category, reply=draft)


async def start(client: Client, run_id: str, ticket: dict[str, str]) -> None:
    """Start one run (``client`` connected with ``plugin()``)."""
    await client.start_workflow(
        SupportTriage.run, Ticket(**ticket), id=run_id, task_queue=TASK_QUEUE
    )


def plugin() -> OpenAIAgentsPlugin:
    """``OpenAIAgentsPlugin`` with the scripted test model (the client and the worker's).
    Switches the SDK's tracing off first: its default exporter sends spans to OpenAI."""
    os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")
    return OpenAIAgentsPlugin(
        model_params=ModelActivityParameters(start_to_close_timeout=timedelta(seconds=60)),
        model_provider=TestModelProvider(ScriptedModel()),
    )


def worker(client: Client, activity_slots: int, runner: WorkflowRunner | None) -> Worker:
    """The worker of one process: the workflow and the model activities on one queue."""
    extra = {"workflow_runner": runner} if runner else {}
    return Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[SupportTriage],
        max_concurrent_activities=activity_slots,
        **extra,
    )


class ScriptedModel(Model):
    """The test model: sleeps ``Latency.seconds``, then answers as the agent's catalog
    script does (JSON text for a structured answer)."""

    async def get_response(
        self, system_instructions: str | None, input: Any, *args: Any, **kwargs: Any
    ) -> ModelResponse:
        await asyncio.sleep(Latency.seconds)
        prompt = input if isinstance(input, str) else str(input[-1]["content"])
        return ResponseBuilders.output_message(scripted_answer(system_instructions, prompt))

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the bench does not stream")
