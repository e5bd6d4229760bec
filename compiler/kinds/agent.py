"""Compiling a spec step into a ``agent`` plan node (the node and how it runs:
``workflows/kinds/agent.py``)."""

from __future__ import annotations

from podium.activities.contracts import (
    AgentConfig,
)
from podium.compiler.settings import retry_settings
from podium.compiler.spec import StepEntry
from podium.compiler.step_context import StepContext
from podium.compiler.step_graph import Scope
from podium.compiler.yamlfile import Loc
from podium.workflows.durations import parse_duration
from podium.workflows.expressions import literal
from podium.workflows.kinds.agent import AgentNode, Goto
from podium.workflows.kinds.base import Node
from podium.workflows.patterns.assign import REQUIREMENTS, meets


def compile_agent(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    if step.capability is not None:
        return _compile_capability(c, step, loc, scope, common)
    if step.require:
        c.report.problem(
            c.doc,
            loc + ("require",),
            "require: goes with capability:",
            "ask for `capability: <name>` instead of naming an agent",
        )
    agent = c.agents.get(step.agent or "", c.doc, loc + ("agent",))
    inputs = c.graph.inputs(step, loc, scope, common["id"])
    fallbacks = c.agents.fallbacks(agent.name) if agent is not None else []
    undo = _compensation(c, step, loc, scope, common["id"], agent)
    if agent is None or inputs is None or fallbacks is None or undo is False:
        return None
    node = AgentNode(
        **common,
        agent=agent,
        compensate=undo or None,
        fallbacks=fallbacks,
        inputs=inputs,
        timeout_s=parse_duration(step.timeout) if step.timeout else agent.timeout_s,
        retry=retry_settings(step.retry) if step.retry else agent.retry,
    )
    return _with_goto(c, step, loc, node)


def _with_goto(c: StepContext, step: StepEntry, loc: Loc, node: AgentNode) -> AgentNode | None:
    """``node`` with its ``goto`` and every agent's output schema asking for the ``goto``
    field (one of the choices, or null), so a bad choice is repaired like any invalid
    answer; None (with a problem recorded) if the agents cannot answer an object."""
    if step.goto is None:
        return node
    choices: list[str | None] = [None, *step.goto.to]  # null first: "go on" is the default
    field = {"enum": choices, "description": "the step to run next (null: the next in order)"}

    def constrained(agent: AgentConfig) -> AgentConfig | None:
        schema = dict(agent.output_schema or {"type": "object"})
        if schema.get("type", "object") != "object":
            c.report.problem(
                c.doc,
                loc + ("goto",),
                f"goto: needs an answer that is a JSON object, but agent {agent.name!r} "
                f"answers {schema.get('type')!r}",
                "give the agent an output schema of type object (its goto field is added)",
            )
            return None
        properties = {**schema.get("properties", {}), "goto": field}
        return agent.model_copy(
            update={"output_schema": {**schema, "type": "object", "properties": properties}}
        )

    agents = [constrained(a) for a in (node.agent, *node.fallbacks, *node.candidates)]
    if any(a is None for a in agents):
        return None
    ok = [a for a in agents if a is not None]
    count = 1 + len(node.fallbacks)
    return node.model_copy(
        update={
            "agent": ok[0],
            "fallbacks": ok[1:count],
            "candidates": ok[count:],
            "goto": Goto(to=list(step.goto.to), max=step.goto.max),
        }
    )


def _compensation(
    c: StepContext,
    step: StepEntry,
    loc: Loc,
    scope: Scope,
    step_id: str,
    agent: AgentConfig | None,
) -> AgentNode | None | bool:
    """The compiled undo step; None if there is none; False if it is wrong."""
    if step.compensate is None:
        return None
    if agent is not None and not agent.side_effects:
        c.report.problem(
            c.doc,
            loc + ("compensate",),
            f"compensate: on step {step_id!r}, whose agent {agent.name!r} declares no side effects",
            f"add side_effects: true to agent {agent.name!r} in the catalog if it changes "
            "the world",
        )
        return False
    undo = c.compile_step(
        step.compensate,
        loc + ("compensate",),
        scope.with_done({step_id}),
        auto_id=f"{step_id}_undo",
    )
    if undo is None:
        return False
    if not isinstance(undo, AgentNode) or undo.capability:
        c.report.problem(
            c.doc,
            loc + ("compensate",),
            "compensate: must name an agent",
            "write compensate: {agent: <name>, with: {…}}",
        )
        return False
    if agent is not None and agent.undo is not None and undo.agent.name != agent.undo:
        c.report.problem(
            c.doc,
            loc + ("compensate", "agent"),
            f"compensate: calls {undo.agent.name!r}, but the catalog pairs agent "
            f"{agent.name!r} with {agent.undo!r} (its undo:)",
            f"write compensate: {{agent: {agent.undo}, …}}",
        )
        return False
    return undo


def _compile_capability(
    c: StepContext, step: StepEntry, loc: Loc, scope: Scope, common: dict
) -> Node | None:
    capability = step.capability or ""
    candidates = c.agents.capable(capability, c.doc, loc + ("capability",))
    inputs = c.graph.inputs(step, loc, scope, common["id"])
    require: dict[str, str] = {}
    ok = bool(candidates) and inputs is not None
    for key, value in step.require.items():
        where = loc + ("require", key)
        if key not in REQUIREMENTS:
            c.report.problem(
                c.doc,
                where,
                f"unknown requirement {key!r}",
                f"use one of: {', '.join(REQUIREMENTS)}",
            )
            ok = False
        elif isinstance(value, str):
            ok &= c.graph.expression(where, value, scope, common["id"])
            require[key] = value
        else:
            require[key] = literal(value)
            if candidates and not any(meets(a, key, value) for a in candidates):
                c.report.problem(
                    c.doc,
                    where,
                    f"no agent with capability {capability!r} meets {key} = {value!r}",
                    "candidates: " + ", ".join(a.name for a in candidates),
                )
                ok = False
    if not ok or inputs is None:
        return None
    first = candidates[0]
    node = AgentNode(
        **common,
        agent=first,
        capability=capability,
        candidates=candidates,
        require=require,
        inputs=inputs,
        timeout_s=parse_duration(step.timeout) if step.timeout else first.timeout_s,
        retry=retry_settings(step.retry) if step.retry else first.retry,
    )
    return _with_goto(c, step, loc, node)
