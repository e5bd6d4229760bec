"""A run that shows every accuracy signal once, offline: an answer that fails its schema
and is repaired, a refine whose reviewer sends the first draft back and accepts the
second, and a person rejecting the repaired agent's work — shared by the accuracy and the
dashboard tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from podium.compiler.spec_compiler import compile_spec
from podium.starters.humans import send_decision
from podium.starters.launch import start_run
from podium.workflows.humans import DecisionInput
from podium.workflows.state import RunResult, RunState
from temporalio.client import Client

from tests.support.polling import eventually

SUMMARY = {"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}
REVIEW = {
    "type": "object",
    "required": ["approved", "note"],
    "properties": {"approved": {"type": "boolean"}, "note": {"type": "string"}},
}
PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 2.0}
CATALOG: dict[str, Any] = {
    "agents": {
        "summariser": {  # its first answer misses `summary`; the repair round has it
            "model": "scripted",
            "price": PRICE,
            "output": SUMMARY,
            "script": [
                {"when": "repair", "output": {"summary": "refunds take 5 days"}},
                {"output": {"text": "refunds take 5 days"}},
            ],
        },
        "writer": {
            "model": "scripted",
            "price": PRICE,
            "script": [
                {"when": "feedback", "output": "Sorry for the wait: refunds take 5 days."},
                {"output": "Refunds take 5 days."},
            ],
        },
        "critic": {
            "model": "scripted",
            "price": PRICE,
            "output": REVIEW,
            "script": [
                {"when": "contains(draft, 'Sorry')", "output": {"approved": True, "note": "ok"}},
                {"output": {"approved": False, "note": "apologise first"}},
            ],
        },
    }
}
SPEC: dict[str, Any] = {
    "name": "accuracy_probe",
    "agents": "agents.yaml",
    "steps": [
        {"id": "summary", "agent": "summariser", "with": {"topic": "input.topic"}},
        {
            "id": "reply",
            "refine": {
                "producer": {"agent": "writer", "with": {"feedback": "vars.feedback.note"}},
                "reviewer": {"agent": "critic", "with": {"draft": "vars.draft"}},
                "until": "vars.review.approved",
                "max_rounds": 3,
            },
        },
        {
            "id": "signoff",
            "approval": {
                "title": "Publish the summary?",
                "details": "steps.summary.output",
                "approvers": ["qa"],
            },
        },
    ],
    "output": {"summary": "steps.summary.output", "reply": "steps.reply.output"},
}


async def run_probe(
    client: Client, write_spec: Callable[..., Path], name: str = "accuracy_probe"
) -> RunResult:
    """Run the probe spec (as ``name``) to its end, ``qa`` rejecting the sign-off."""
    plan = compile_spec(write_spec({**SPEC, "name": name}, CATALOG))
    handle = await start_run(client, plan, {"topic": "refunds"})

    async def asked() -> RunState | None:
        state = await handle.query("status", result_type=RunState)
        return state if state.open_requests() else None

    state = await eventually(asked, "the sign-off request to open")
    [request] = state.open_requests()
    decision = DecisionInput(request_id=request.id, outcome="reject", by="qa", comment="no")
    await send_decision(handle, decision)
    return await handle.result()
