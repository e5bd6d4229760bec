"""What ``agents/support.yaml``'s scripted agents answer, for the peak's other sides.

The LangGraph graph and the peers' test models answer with these functions, so every
side of ``bench/peak.py`` makes the same six calls per run for the same tickets: triage,
the routed specialist, a draft, a rejected review, a second draft, an approving review.
Imported inside workflow sandboxes too: no I/O, standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

MESSAGES = (
    "I was charged twice for my order",
    "The app shows an error and crashes at login",
    "I want to return the shoes",
    "Do you ship to Laos?",
)
"""The tickets' messages, one per route (billing, technical, returns, the generalist)."""

SPECIALISTS = {
    "billing": "billing-specialist",
    "technical": "technical-specialist",
    "returns": "returns-specialist",
}
"""support_triage's route: the triage category → the agent that answers it."""
GENERALIST = "generalist"

INSTRUCTIONS = {
    "triage": "Classify the customer's message. Answer in JSON.",
    "billing-specialist": "Resolve the billing issue; state the action taken.",
    "technical-specialist": "Diagnose the problem and give the fix.",
    "returns-specialist": "Explain the return steps.",
    "generalist": "Answer helpfully and briefly.",
    "reply-writer": (
        "Draft a friendly reply using the specialist's answer and any reviewer feedback."
    ),
    "reply-reviewer": (
        "Approve the reply only if it apologises and offers a next step. Answer in JSON."
    ),
}
"""Each agent's instructions, as in the catalog; the test models tell agents apart by them."""

ANSWERS = {
    "billing-specialist": "Refund of the duplicate charge issued; it reaches the card in 3-5 days.",
    "technical-specialist": "Update the app to 4.2; the crash on login is fixed there.",
    "returns-specialist": (
        "Return label sent by e-mail; drop the parcel at any post office within 14 days."
    ),
    "generalist": "Thanks for reaching out; a colleague will follow up within a day.",
}
MAX_ROUNDS = 3
"""The reply's refine loop: at most this many drafts."""


# -- the flow's inputs and structured answers, the same for both peers ---------------
class Ticket(BaseModel):
    name: str
    message: str


class Triage(BaseModel):
    category: Literal["billing", "technical", "returns", "other"]
    urgency: Literal["low", "high"]


class Review(BaseModel):
    approved: bool
    note: str


class TriageReply(BaseModel):
    category: str
    reply: str


def triage(message: str) -> dict[str, str]:
    """The triage agent's answer: ``{category, urgency}``."""
    if "charged" in message or "refund" in message:
        return {"category": "billing", "urgency": "high"}
    if "error" in message or "crash" in message:
        return {"category": "technical", "urgency": "high"}
    if "return" in message:
        return {"category": "returns", "urgency": "low"}
    return {"category": "other", "urgency": "low"}


def write(name: str, answer: str, feedback: str | None) -> str:
    """The reply-writer's draft (an apology once the reviewer asked for one)."""
    if feedback:
        return (
            f"Hi {name}, sorry for the trouble. {answer} "
            "Reply to this e-mail if anything else comes up."
        )
    return f"Hi {name}, {answer}"


def review(draft: str) -> dict[str, Any]:
    """The reply-reviewer's verdict: ``{approved, note}``."""
    if "sorry" in draft:
        return {"approved": True, "note": "good"}
    return {"approved": False, "note": "apologise and offer a next step"}


SCRIPTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "triage": lambda inputs: triage(inputs["message"]),
    **{agent: (lambda _inputs, text=text: text) for agent, text in ANSWERS.items()},
    "reply-writer": lambda inputs: write(inputs["name"], inputs["answer"], inputs.get("feedback")),
    "reply-reviewer": lambda inputs: review(inputs["draft"]),
}
"""Agent → its answer to the inputs support_triage gives it (its ``with:``)."""

AGENT_BY_INSTRUCTIONS = {text: agent for agent, text in INSTRUCTIONS.items()}


def scripted_answer(instructions: str | None, prompt: str) -> str:
    """What the agent with these instructions answers to a prompt holding its inputs as
    JSON, as the model's text (JSON for the agents with structured output)."""
    agent = AGENT_BY_INSTRUCTIONS.get(instructions or "")
    if agent is None:
        raise ValueError(f"no scripted agent has the instructions {instructions!r}")
    answer = SCRIPTS[agent](json.loads(prompt))
    return answer if isinstance(answer, str) else json.dumps(answer)


class Latency:
    """The test models' time per call (a worker process sets it from ``--call-ms``)."""

    seconds = 0.2
