"""Compiling steps (every kind) into plan nodes (what they read, in which order: step_graph)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.contracts import AgentConfig
from workflows.compile_agents import AgentResolver, retry_settings
from workflows.compile_humans import approval_node, check_people
from workflows.compile_limits import budget, deadline
from workflows.durations import parse_duration
from workflows.expressions import literal
from workflows.kinds.agent import AgentNode
from workflows.kinds.base import KINDS, Node
from workflows.kinds.map import MapNode
from workflows.kinds.parallel import Branch, ParallelNode
from workflows.kinds.refine import RefineNode
from workflows.kinds.route import RouteNode
from workflows.kinds.workflow import WorkflowNode
from workflows.patterns.assign import REQUIREMENTS, meets
from workflows.plan import Plan, asks_people
from workflows.problems import Reporter
from workflows.spec import QuorumEntry, StepEntry
from workflows.step_graph import NAME, Scope, StepGraph
from workflows.yamlfile import Loc, YamlDocument

ChildCompiler = Callable[[YamlDocument, Loc, str], Plan | None]
INLINE_ALWAYS = 1_000_000


class StepCompiler:
    """Compiles the ``steps:`` of one spec file."""

    def __init__(
        self,
        report: Reporter,
        doc: YamlDocument,
        agents: AgentResolver,
        compile_child: ChildCompiler,
    ):
        self.report, self.doc, self.agents, self.compile_child = report, doc, agents, compile_child
        self.graph = StepGraph(report, doc)
        self.template_ids: set[str] = set()

    def compile(self, steps: list[StepEntry]) -> list[Node]:
        """Plan nodes for the top-level ``steps`` (None entries dropped on error)."""
        registered = self.graph.build(steps)
        if registered is None:
            return []
        nodes = []
        for i, step in enumerate(steps):
            scope = Scope(frozenset(self.graph.done_before.get(step.id or "", set())))
            node = self._node(step, ("steps", i), scope, top_level=i in registered)
            if node is not None:
                nodes.append(node)
        return nodes

    # -- nodes ---------------------------------------------------------------------
    def _node(
        self,
        step: StepEntry,
        loc: Loc,
        scope: Scope,
        *,
        top_level: bool = False,
        auto_id: str | None = None,
        branch: bool = False,
    ) -> Node | None:
        step_id = step.id or auto_id or "step"
        if auto_id is not None:  # a template (map step, route case, refine producer/reviewer)
            if step_id in self.graph.named or step_id in self.template_ids:
                self.report.problem(
                    self.doc,
                    loc + ("id",),
                    f"step id {step_id!r} is used twice",
                    "give this nested step an id of its own",
                )
            self.template_ids.add(step_id)
        if step.on_error == "continue" and not branch:
            self.report.problem(
                self.doc,
                loc + ("on_error",),
                "on_error: continue is for parallel branches",
                "use optional: true to let any other step fail without failing the run",
            )
        if step.on_error == "escalate" and step.kind != "agent":
            self.report.problem(
                self.doc,
                loc + ("on_error",),
                "on_error: escalate is for agent steps",
                "put it on the agent steps inside",
            )
        if step.needs is not None and not top_level:
            self.report.problem(
                self.doc,
                loc + ("needs",),
                "needs: is only for top-level steps",
                "inside parallel, map, route and refine, order follows the structure",
            )
        if step.when is not None:
            self.graph.expression(loc + ("when",), step.when, scope, step_id)
        check_people(self.report, self.doc, loc, step)
        if step.with_ and step.kind not in ("agent", "workflow"):
            self.report.problem(
                self.doc,
                loc + ("with",),
                f"with: is not used by a {step.kind} step",
                "put with: on the agent steps inside it",
            )
        common: dict[str, Any] = {
            "id": step_id,
            "description": step.description,
            "when": step.when,
            "optional": step.optional,
            "needs": self.graph.deps.get(step_id, []) if top_level else [],
            "on_error": "escalate" if step.on_error == "escalate" else "fail",
            "escalate_to": step.escalate_to,
            "budget": budget(step.budget),
            "deadline": deadline(step.deadline),
        }
        if step.kind == "steps":
            return self._steps(step, loc, scope, common)
        return KINDS[step.kind].compile(self, step, loc, scope, common)  # type: ignore[no-any-return]

    def _agent(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        if step.capability is not None:
            return self._capability(step, loc, scope, common)
        if step.require:
            self.report.problem(
                self.doc,
                loc + ("require",),
                "require: goes with capability:",
                "ask for `capability: <name>` instead of naming an agent",
            )
        agent = self.agents.get(step.agent or "", self.doc, loc + ("agent",))
        inputs = self.graph.inputs(step, loc, scope, common["id"])
        fallbacks = self.agents.fallbacks(agent.name) if agent is not None else []
        undo = self._compensation(step, loc, scope, common["id"], agent)
        if agent is None or inputs is None or fallbacks is None or undo is False:
            return None
        return AgentNode(
            **common,
            agent=agent,
            compensate=undo or None,
            fallbacks=fallbacks,
            inputs=inputs,
            timeout_s=parse_duration(step.timeout) if step.timeout else agent.timeout_s,
            retry=retry_settings(step.retry) if step.retry else agent.retry,
        )

    def _compensation(
        self, step: StepEntry, loc: Loc, scope: Scope, step_id: str, agent: AgentConfig | None
    ) -> AgentNode | None | bool:
        """The compiled undo step; None if there is none; False if it is wrong."""
        if step.compensate is None:
            return None
        if agent is not None and not agent.side_effects:
            self.report.problem(
                self.doc,
                loc + ("compensate",),
                f"compensate: on step {step_id!r}, whose agent {agent.name!r} declares no "
                "side effects",
                f"add side_effects: true to agent {agent.name!r} in the catalog if it changes "
                "the world",
            )
            return False
        undo = self._node(
            step.compensate,
            loc + ("compensate",),
            scope.with_done({step_id}),
            auto_id=f"{step_id}_undo",
        )
        if undo is None:
            return False
        if not isinstance(undo, AgentNode) or undo.capability:
            self.report.problem(
                self.doc,
                loc + ("compensate",),
                "compensate: must name an agent",
                "write compensate: {agent: <name>, with: {…}}",
            )
            return False
        return undo

    def _capability(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        capability = step.capability or ""
        candidates = self.agents.capable(capability, self.doc, loc + ("capability",))
        inputs = self.graph.inputs(step, loc, scope, common["id"])
        require: dict[str, str] = {}
        ok = bool(candidates) and inputs is not None
        for key, value in step.require.items():
            where = loc + ("require", key)
            if key not in REQUIREMENTS:
                self.report.problem(
                    self.doc,
                    where,
                    f"unknown requirement {key!r}",
                    f"use one of: {', '.join(REQUIREMENTS)}",
                )
                ok = False
            elif isinstance(value, str):
                ok &= self.graph.expression(where, value, scope, common["id"])
                require[key] = value
            else:
                require[key] = literal(value)
                if candidates and not any(meets(a, key, value) for a in candidates):
                    self.report.problem(
                        self.doc,
                        where,
                        f"no agent with capability {capability!r} meets {key} = {value!r}",
                        "candidates: " + ", ".join(a.name for a in candidates),
                    )
                    ok = False
        if not ok or inputs is None:
            return None
        first = candidates[0]
        return AgentNode(
            **common,
            agent=first,
            capability=capability,
            candidates=candidates,
            require=require,
            inputs=inputs,
            timeout_s=parse_duration(step.timeout) if step.timeout else first.timeout_s,
            retry=retry_settings(step.retry) if step.retry else first.retry,
        )

    def _steps(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        self.report.problem(
            self.doc,
            loc + ("steps",),
            "steps: (a sequence) is only valid as a branch of parallel:",
            "list the steps at the top level, or nest them in parallel:",
        )
        return None

    def _parallel(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        branches, ok = [], True
        for j, item in enumerate(step.parallel or []):
            seq = item.steps if item.steps is not None else [item]
            nodes, inner_scope = [], scope
            for k, inner in enumerate(seq):
                inner_loc = loc + ("parallel", j) + (("steps", k) if item.steps is not None else ())
                node = self._node(inner, inner_loc, inner_scope, branch=item.steps is None)
                ok &= node is not None
                if node is not None:
                    nodes.append(node)
                    if node.id in self.graph.named:
                        inner_scope = inner_scope.with_done(self.graph.implied(node.id))
            if nodes:
                branches.append(
                    Branch(id=item.id or nodes[0].id, steps=nodes, on_error=item.on_error)
                )
        if not step.parallel:
            self.report.problem(self.doc, loc + ("parallel",), "parallel: has no branches")
            return None
        join, quorum = (
            (step.join, None) if isinstance(step.join, str) else ("quorum", step.join.quorum)
        )
        if isinstance(step.join, QuorumEntry) and step.join.quorum > len(step.parallel):
            self.report.problem(
                self.doc,
                loc + ("join",),
                f"quorum {step.join.quorum} is more than the {len(step.parallel)} branches",
                "lower the quorum or add branches",
            )
            ok = False
        return ParallelNode(**common, branches=branches, join=join, quorum=quorum) if ok else None

    def _map(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        spec = step.map
        assert spec is not None
        ok = self.graph.expression(loc + ("map", "over"), spec.over, scope, common["id"])
        if not NAME.match(spec.as_):
            self.report.problem(
                self.doc, loc + ("map", "as"), f"as: {spec.as_!r} is not a plain name"
            )
            ok = False
        if step.step is None:
            self.report.problem(
                self.doc,
                loc,
                "map: needs step: (the step to run for each item)",
                "add step: {agent: <name>, with: {item: vars.<as>}}",
            )
            return None
        template = self._node(
            step.step,
            loc + ("step",),
            scope.with_vars(spec.as_, "index"),
            auto_id=f"{common['id']}_item",
        )
        if template is None or not ok:
            return None
        return MapNode(
            **common,
            over=spec.over,
            as_=spec.as_,
            template=template,
            max_concurrency=spec.max_concurrency,
            # Items that may wait for people run inline: a batch child workflow has no
            # decide Update, signal or status query, so nobody could answer them there.
            batch_size=INLINE_ALWAYS if asks_people(template) else spec.batch_size,
        )

    def _route(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        spec = step.route
        assert spec is not None
        ok = self.graph.expression(loc + ("route", "on"), spec.on, scope, common["id"])
        if not spec.cases:
            self.report.problem(
                self.doc,
                loc + ("route",),
                "route: has no cases",
                "add cases: {<value>: {agent: <name>}, …} (and a default:)",
            )
            return None
        cases = {}
        for value, case in spec.cases.items():
            node = self._node(
                case, loc + ("route", "cases", value), scope, auto_id=f"{common['id']}_{value}"
            )
            ok &= node is not None
            if node is not None:
                cases[value] = node
        default = None
        if spec.default is not None:
            default = self._node(
                spec.default, loc + ("route", "default"), scope, auto_id=f"{common['id']}_default"
            )
            ok &= default is not None
        return RouteNode(**common, on=spec.on, cases=cases, default=default) if ok else None

    def _refine(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        spec = step.refine
        assert spec is not None
        ok = True
        for key in ("until", "max_rounds"):
            if getattr(spec, key) is None:
                self.report.problem(
                    self.doc,
                    loc + ("refine",),
                    f"refine: needs {key}:",
                    "until: an expression over vars.review (true = accepted); "
                    "max_rounds: how many rounds at most",
                )
                ok = False
        loop = scope.with_vars("round", "feedback", "draft")
        producer = self._node(
            spec.producer, loc + ("refine", "producer"), loop, auto_id=f"{common['id']}_producer"
        )
        reviewer = self._node(
            spec.reviewer, loc + ("refine", "reviewer"), loop, auto_id=f"{common['id']}_reviewer"
        )
        if spec.until is not None:
            ok &= self.graph.expression(
                loc + ("refine", "until"), spec.until, loop.with_vars("review"), common["id"]
            )
        if not ok or producer is None or reviewer is None:
            return None
        return RefineNode(
            **common,
            producer=producer,
            reviewer=reviewer,
            until=spec.until or "",
            max_rounds=spec.max_rounds or 1,
        )

    def _workflow(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        plan = self.compile_child(self.doc, loc + ("workflow",), step.workflow or "")
        inputs = self.graph.inputs(step, loc, scope, common["id"])
        if plan is None or inputs is None:
            return None
        return WorkflowNode(**common, plan=plan, inputs=inputs)

    def _approval(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        return approval_node(self.report, self.doc, self.graph, step, loc, scope, common)
