"""Compiling steps (every kind) into plan nodes (what they read, in which order: step_graph)."""

from __future__ import annotations

from typing import Any

from podium.compiler.agents import AgentResolver
from podium.compiler.humans import check_people
from podium.compiler.kinds import builder_of
from podium.compiler.limits import budget, deadline
from podium.compiler.memory import step_memory
from podium.compiler.problems import Reporter
from podium.compiler.spec import StepEntry, entry_adapter
from podium.compiler.spec_memory import MemoryEntry
from podium.compiler.step_context import ChildCompiler
from podium.compiler.step_graph import Scope, StepGraph
from podium.compiler.validation_errors import translate
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.kinds.base import KINDS, Node
from pydantic import ValidationError


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
        self.memory: MemoryEntry | None = None
        """The spec's ``memory:`` (its subject and ttl), for the steps' own."""

    def compile(self, steps: list[StepEntry]) -> list[Node]:
        """Plan nodes for the top-level ``steps`` (None entries dropped on error)."""
        registered = self.graph.build(steps)
        if registered is None:
            return []
        loops = self._loops(steps)
        nodes = []
        for i, step in enumerate(steps):
            done = set(self.graph.done_before.get(step.id or "", set())) | loops.get(i, set())
            node = self.compile_step(
                step, ("steps", i), Scope(frozenset(done)), top_level=i in registered
            )
            if node is not None:
                nodes.append(node)
        return nodes

    def _loops(self, steps: list[StepEntry]) -> dict[int, set[str]]:
        """Check every ``goto:`` (top-level targets or ``end``; steps in order) and return,
        per step index, the later steps it may read because a jump back may have run them
        (their outputs are null on the first pass)."""
        ids = [s.id or "" for s in steps]
        readable: dict[int, set[str]] = {}
        gotos = [(i, s) for i, s in enumerate(steps) if s.goto is not None]
        if gotos and any(s.needs is not None for s in steps):
            i, _ = gotos[0]
            self.report.problem(
                self.doc,
                ("steps", i, "goto"),
                "goto: needs top-level steps that run in order (this spec uses needs:)",
                "remove the needs: of the top-level steps, or the goto:",
            )
            return readable
        for i, step in gotos:
            assert step.goto is not None
            for j, target in enumerate(step.goto.to):
                if target == "end":
                    continue
                if target not in ids:
                    self.report.problem(
                        self.doc,
                        ("steps", i, "goto", "to", j),
                        f"goto: {target!r} is not a top-level step",
                        "name a top-level step id, or end",
                    )
                    continue
                for k in range(ids.index(target), i):  # inside the loop: may read what follows
                    readable.setdefault(k, set()).update(ids[k + 1 : i + 1])
        return readable

    # -- nodes ---------------------------------------------------------------------
    def compile_step(
        self,
        step: StepEntry,
        loc: Loc,
        scope: Scope,
        *,
        top_level: bool = False,
        auto_id: str | None = None,
        branch: bool = False,
    ) -> Node | None:
        """The plan node of one spec step of any kind (None after reporting problems).

        Checks what every kind shares (ids, ``when``, ``needs``, ``on_error``, people),
        then hands the step to its kind's ``compile``; kinds call this back for the
        steps nested in them (``auto_id`` names a template step that has no id).
        """
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
        if step.goto is not None and (step.kind != "agent" or not top_level):
            self.report.problem(
                self.doc,
                loc + ("goto",),
                "goto: is for top-level agent steps",
                "move it to a top-level agent step: its answer picks the next step",
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
        memory = step_memory(
            self.report, self.doc, self.graph, self.memory, step, loc, scope, step_id
        )
        if memory is not None:
            common["memory"] = memory
        if step.kind == "steps":
            return self._steps(step, loc, scope, common)
        kind = KINDS[step.kind]
        if step.kind_entry is not None and kind.spec_entry is not None:
            where = loc + (str(kind.spec_key),)
            try:
                value = entry_adapter(kind.spec_entry).validate_python(step.kind_entry["value"])
            except ValidationError as exc:
                for item in translate(exc.errors()):
                    self.report.problem(self.doc, where + item.loc, item.message, item.hint)
                return None
            step = step.model_copy(update={"kind_entry": {**step.kind_entry, "value": value}})
        return builder_of(kind)(self, step, loc, scope, common)  # type: ignore[no-any-return]

    def _steps(self, step: StepEntry, loc: Loc, scope: Scope, common: dict) -> Node | None:
        self.report.problem(
            self.doc,
            loc + ("steps",),
            "steps: (a sequence) is only valid as a branch of parallel:",
            "list the steps at the top level, or nest them in parallel:",
        )
        return None
