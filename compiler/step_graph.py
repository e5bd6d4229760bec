"""Which steps are certain to have finished where, and what a step's expressions and
templates may read.

A step may read ``steps.<id>`` only if that step is certain to have finished before
it starts: an earlier step of the chain, a step it ``needs`` (and what those needed),
or an earlier step of its own parallel branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from podium.compiler.problems import Reporter, suggest
from podium.compiler.spec import StepEntry
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.expressions import ROOTS, ExpressionError, literal, references
from podium.workflows.humans import RUN_SCOPE

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Scope:
    """What an expression at some place may read."""

    done: frozenset[str] = frozenset()
    vars: frozenset[str] = frozenset()

    def with_vars(self, *names: str) -> Scope:
        return Scope(self.done, self.vars | set(names))

    def with_done(self, ids: set[str]) -> Scope:
        return Scope(self.done | ids, self.vars)


@dataclass
class _Named:
    top: str
    loc: Loc
    before: list[str] = field(default_factory=list)
    inner: list[str] = field(default_factory=list)


class StepGraph:
    """Named steps of one spec, their ``needs`` edges and what each may read."""

    def __init__(self, report: Reporter, doc: YamlDocument):
        self.report, self.doc = report, doc
        self.named: dict[str, _Named] = {}
        self.deps: dict[str, list[str]] = {}
        self.done_before: dict[str, set[str]] = {}

    def build(self, steps: list[StepEntry]) -> list[int] | None:
        """Register the top-level steps; their indices, or None if ``needs`` has a cycle."""
        registered = [
            i
            for i, step in enumerate(steps)
            if self.collect(step, ("steps", i), top=None, before=[])
        ]
        tops = [steps[i].id or "" for i in registered]
        for n, i in enumerate(registered):
            self.deps[tops[n]] = self.needs(steps[i], ("steps", i), tops[:n])
        if not self.acyclic(tops):
            return None
        for top in tops:
            self.done_before_of(top)
        return registered

    def collect(self, step: StepEntry, loc: Loc, top: str | None, before: list[str]) -> bool:
        """Register ``step`` (and its branch steps); False if its id is unusable."""
        if not step.id:
            self.report.problem(self.doc, loc, "this step needs an id", "add id: <name>")
            return False
        if not NAME.match(step.id):
            self.report.problem(
                self.doc,
                loc + ("id",),
                f"step id {step.id!r} is not a plain name",
                "use letters, digits and '_' (it is read as steps.<id> in expressions)",
            )
            return False
        if step.id == RUN_SCOPE:
            self.report.problem(
                self.doc,
                loc + ("id",),
                f"step id {RUN_SCOPE!r} is reserved",
                f"requests about the whole run are named {RUN_SCOPE}-<n>: pick another id",
            )
            return False
        if step.id in self.named:
            self.report.problem(
                self.doc,
                loc + ("id",),
                f"duplicate step id {step.id!r}",
                "every step needs its own id",
            )
            return False
        entry = _Named(top or step.id, loc, list(before))
        self.named[step.id] = entry
        for j, branch in enumerate(step.parallel or []):
            seq = branch.steps if branch.steps is not None else [branch]
            if branch.steps is not None:
                self._label(branch, loc + ("parallel", j))
            earlier: list[str] = []
            for k, inner in enumerate(seq):
                inner_loc = (
                    loc + ("parallel", j) + (("steps", k) if branch.steps is not None else ())
                )
                if self.collect(inner, inner_loc, entry.top, earlier) and inner.id:
                    entry.inner.append(inner.id)
                    earlier = [*earlier, inner.id]
        return True

    def _label(self, branch: StepEntry, loc: Loc) -> None:
        if not branch.id or not NAME.match(branch.id):
            self.report.problem(
                self.doc,
                loc,
                "a parallel branch with steps: needs a plain id",
                "add id: <name> (letters, digits, '_')",
            )

    def needs(self, step: StepEntry, loc: Loc, earlier: list[str]) -> list[str]:
        """The step ids ``step`` waits for: its ``needs:``, or the previous top step."""
        if step.needs is None:
            return earlier[-1:]
        out = []
        for n, dep in enumerate(step.needs):
            if dep not in self.named:
                self.report.problem(
                    self.doc,
                    loc + ("needs", n),
                    f"needs unknown step {dep!r}",
                    suggest(dep, self.named, "steps"),
                )
            else:
                out.append(dep)
        return out

    def acyclic(self, tops: list[str]) -> bool:
        """False (with the cycle reported) if the ``needs:`` edges form a cycle."""
        state: dict[str, int] = {}
        path: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            path.append(node)
            for dep in self.deps.get(node, []):
                target = self.named[dep].top
                if state.get(target) == 1:
                    return path[path.index(target) :] + [target]
                if state.get(target) is None and (cycle := visit(target)):
                    return cycle
            state[node] = 2
            path.pop()
            return None

        for top in tops:
            if state.get(top) is None and (cycle := visit(top)):
                loc = self.named[cycle[0]].loc + ("needs",)
                self.report.problem(
                    self.doc,
                    loc,
                    "steps form a cycle: " + " → ".join(cycle),
                    "remove one of these needs: so the steps can run in some order",
                )
                return False
        return True

    def done_before_of(self, top: str) -> set[str]:
        """Steps certain to have finished before top-level step ``top`` starts."""
        if top in self.done_before:
            return self.done_before[top]
        done: set[str] = set()
        for dep in self.deps.get(top, []):
            done |= self.implied(dep)
        self.done_before[top] = done
        return done

    def implied(self, step_id: str) -> set[str]:
        """Steps certain to have finished once ``step_id`` has."""
        entry = self.named[step_id]
        out = {step_id, *self._inner(step_id)}
        for earlier in entry.before:
            out |= {earlier, *self._inner(earlier)}
        return out | self.done_before_of(entry.top)

    def _inner(self, step_id: str) -> set[str]:
        out: set[str] = set()
        for inner in self.named[step_id].inner:
            out |= {inner, *self._inner(inner)}
        return out

    def inputs(
        self, step: StepEntry, loc: Loc, scope: Scope, current: str
    ) -> dict[str, str] | None:
        """The step's ``with`` as expressions (non-strings become literals)."""
        out, ok = {}, True
        for name, value in step.with_.items():
            if not isinstance(value, str):
                out[name] = literal(value)
            elif self.expression(loc + ("with", name), value, scope, current):
                out[name] = value
            else:
                ok = False
        return out if ok else None

    def expression(self, loc: Loc, expr: Any, scope: Scope, current: str | None) -> bool:
        """Check that ``expr`` parses and reads only what ``scope`` allows."""
        hint = (
            "values are JMESPath, e.g. input.company or steps.research.output; "
            "quote plain text as \"'text'\""
        )
        if not isinstance(expr, str):
            self.report.problem(
                self.doc,
                loc,
                f"expected an expression, got {type(expr).__name__} {expr!r}",
                "write it as JMESPath, e.g. input.markets, or a literal "
                'in backticks: "`[\\"SG\\", \\"MY\\"]`"',
            )
            return False
        try:
            roots, step_refs, var_refs = references(expr)
        except ExpressionError as exc:
            self.report.problem(self.doc, loc, str(exc), hint)
            return False
        ok = True
        for root in sorted(roots - set(ROOTS)):
            self.report.problem(
                self.doc,
                loc,
                f"expression {expr!r} reads {root!r}, which does not exist",
                f"start from one of {', '.join(ROOTS)} (e.g. input.{root}); "
                f"quote plain text as \"'{root}'\"",
            )
            ok = False
        for var in sorted(var_refs - scope.vars):
            available = ", ".join(f"vars.{v}" for v in sorted(scope.vars)) or "none here"
            self.report.problem(
                self.doc, loc, f"vars.{var} is not defined here", f"available: {available}"
            )
            ok = False
        for ref in sorted(step_refs - scope.done):
            if ref == current:
                msg, fix = f"step {ref!r} reads its own output", "read an earlier step's output"
            elif ref in self.named:
                msg = f"expression reads step {ref!r}, which may not have run yet"
                fix = "move the step after it, or add it to this step's needs:"
            else:
                msg, fix = (
                    f"expression reads unknown step {ref!r}",
                    suggest(ref, self.named, "steps"),
                )
            self.report.problem(self.doc, loc, msg, fix)
            ok = False
        return ok
