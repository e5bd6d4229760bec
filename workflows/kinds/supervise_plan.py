"""What a ``supervise`` step is in the plan — the manager's decision step, the team, the
limits — and how the compiler builds it from a spec (``compile_supervise``). Running it
is ``kinds/supervise.py``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from podium.activities.contract_base import Contract
from podium.workflows.kinds.base import Node, NodeBase
from pydantic import Field

if TYPE_CHECKING:
    pass

DONE = "done"
MANAGER_INPUTS = ("team", "turns", "turn", "max_turns")
"""What the manager reads besides its goal and ``with:`` (reserved input names)."""
MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PROTOCOL = """

You lead a team and decide, one turn at a time, who works next. Answer with a JSON
object: "next" is the name of one team member, or "done" once the goal is reached;
"task" says in plain words what that member should do (self-contained: the member sees
only the task and "inputs"); "inputs" is an object with the data the member needs;
"reason" says why. With "done", put the final result in "output". Your input has the
goal, the team (each member's name and what it does), the turn number and the turns so
far (who worked, on what, and their output, possibly cut; or the error if they failed)."""


class Member(Contract):
    """One team member, as the plan holds it."""

    name: str
    kind: Literal["agent", "human"]
    description: str = ""
    step: Node | None = None
    """The agent step (``agent:`` or ``capability:``) that does a turn's work."""
    approvers: list[str] = Field(default_factory=list)
    """Human members: who may answer."""
    timeout_s: float | None = None
    """Human members: how long the run waits for an answer (None: for ever)."""


class SuperviseNode(NodeBase):
    """A manager agent and its team, in turns."""

    kind: Literal["supervise"] = "supervise"
    manager: Node
    """The manager's decision step (an agent step; its output schema is the decision)."""
    team: list[Member]
    until: str | None = None
    max_turns: int = 10
    show_turns: int = 10
    show_chars: int = 2000
    max_failures: int = 3


def decision_schema(members: list[str], output: dict[str, Any] | None) -> dict[str, Any]:
    """The manager's answer: the next member (or done), the task, inputs and reason."""
    return {
        "type": "object",
        "required": ["next", "reason"],
        "properties": {
            "next": {
                "enum": [*members, DONE],
                "description": "the team member who works next, or done",
            },
            "task": {"type": "string", "description": "what the member should do"},
            "inputs": {"type": "object", "description": "data the member needs"},
            "reason": {"type": "string", "description": "why this member, or why done"},
            "output": output or {"description": "with done: the result"},
        },
        "if": {"properties": {"next": {"const": DONE}}},
        "then": {"required": ["output"]},
        "else": {"required": ["task"]},
    }
