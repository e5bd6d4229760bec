"""What a ``supervise`` step is in the plan — the manager's decision step, the team, the
limits — and how the compiler builds it from a spec (``compile_supervise``). Running it
is ``kinds/supervise.py``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from podium.activities.contracts import AgentConfig, Contract
    from podium.workflows.kinds.base import Node, NodeBase
    from pydantic import Field

from podium.workflows.durations import parse_duration
from podium.workflows.spec import StepEntry

if TYPE_CHECKING:
    from podium.workflows.compile_steps import StepCompiler
    from podium.workflows.step_graph import Scope
    from podium.workflows.yamlfile import Loc

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


def compile_supervise(
    c: StepCompiler, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    from podium.workflows.kinds.agent import AgentNode

    spec = step.supervise
    assert spec is not None
    where = loc + ("supervise",)
    sid = common["id"]
    ok = True
    members: list[Member] = []
    taken_ids: dict[str, str] = {}
    for name, entry in spec.team.items():
        mloc = where + ("team", name)
        if not MEMBER_NAME.match(name) or name == DONE:
            c.report.problem(
                c.doc,
                mloc,
                f"team member name {name!r} cannot be used",
                "use 1–64 letters, digits, '_' or '-' (and not 'done': the manager says "
                "done when the goal is reached)",
            )
            ok = False
            continue
        safe = f"{sid}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
        if safe in taken_ids:
            c.report.problem(
                c.doc,
                mloc,
                f"team member names {taken_ids[safe]!r} and {name!r} differ only in '-'/'_'",
                "rename one of them",
            )
            ok = False
            continue
        taken_ids[safe] = name
        if entry.human is not None:
            if not entry.human or not all(who.strip() for who in entry.human):
                c.report.problem(
                    c.doc,
                    mloc + ("human",),
                    f"team member {name!r}: human: needs the names of the people who answer",
                    "list them, e.g. human: [deal-desk]",
                )
                ok = False
                continue
            members.append(
                Member(
                    name=name,
                    kind="human",
                    description=entry.description or f"people: {', '.join(entry.human)}",
                    approvers=list(entry.human),
                    timeout_s=parse_duration(entry.timeout) if entry.timeout else None,
                )
            )
            continue
        if entry.timeout is not None:
            c.report.problem(
                c.doc,
                mloc + ("timeout",),
                "timeout: is for human members",
                "an agent member's timeout is its catalog entry's timeout:",
            )
            ok = False
        fields = {"agent": entry.agent, "capability": entry.capability, "require": entry.require}
        work = StepEntry.model_validate(
            {**fields, "with": {"task": "vars.task", "inputs": "vars.inputs"}}
        )
        node = c.compile_step(
            work,
            mloc,
            scope.with_vars("task", "inputs", "turn"),
            auto_id=safe,
        )
        if node is None:
            ok = False
            continue
        agent = getattr(node, "agent", None)
        described = entry.description or (
            f"capability {entry.capability}"
            if entry.capability
            else (agent.description if isinstance(agent, AgentConfig) else "")
        )
        members.append(Member(name=name, kind="agent", description=described, step=node))
    taken = sorted(set(spec.with_) & {"goal", *MANAGER_INPUTS})
    if taken:
        c.report.problem(
            c.doc,
            where + ("with", taken[0]),
            f"with: {', '.join(taken)} is reserved: the manager reads it from Podium",
            "rename the input",
        )
        ok = False
    asking = StepEntry.model_validate(
        {
            "agent": spec.manager,
            "with": {
                "goal": spec.task or "input",
                **spec.with_,
                **{name: f"vars.{name}" for name in MANAGER_INPUTS},
            },
        }
    )
    manager = c.compile_step(
        asking,
        where + ("manager",),
        scope.with_vars(*MANAGER_INPUTS),
        auto_id=f"{sid}__manager",  # (member names start with a letter or digit)
    )
    if spec.until is not None:
        ok &= c.graph.expression(
            where + ("until",), spec.until, scope.with_vars("last", "turn"), sid
        )
    if not ok or manager is None or not isinstance(manager, AgentNode):
        return None
    names = [m.name for m in members]

    def deciding(agent: AgentConfig) -> AgentConfig:
        return agent.model_copy(
            update={
                "output_schema": decision_schema(names, agent.output_schema),
                "instructions": (agent.instructions or "").rstrip() + PROTOCOL,
            }
        )

    manager = manager.model_copy(
        update={
            "agent": deciding(manager.agent),
            "fallbacks": [deciding(f) for f in manager.fallbacks],
        }
    )
    return SuperviseNode(
        **common,
        manager=manager,
        team=members,
        until=spec.until,
        max_turns=spec.max_turns,
        show_turns=spec.show_turns,
        show_chars=spec.show_chars,
        max_failures=spec.max_failures,
    )
