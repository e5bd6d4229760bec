"""Compiling a spec step into a ``supervise`` plan node (the node and how it runs:
``workflows/kinds/supervise_plan.py``)."""

from __future__ import annotations

import re

from podium.activities.contracts import AgentConfig
from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.durations import parse_duration
from podium.workflows.kinds.agent import AgentNode
from podium.workflows.kinds.base import Node
from podium.workflows.kinds.supervise_plan import (
    DONE,
    MANAGER_INPUTS,
    MEMBER_NAME,
    PROTOCOL,
    Member,
    SuperviseNode,
    decision_schema,
)


def compile_supervise(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:

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
