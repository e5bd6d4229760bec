"""Where a step runs: what its expressions may read, and what encloses it — typed.

A ``Frame`` travels with every step the interpreter runs. Expressions see only its
``data`` (``{input, steps, vars}``); the rest is what an enclosing step hands down: the
tracked record the work is recorded on (``owner``), the label nested calls carry in the
Web UI (``map[3]``, ``route → billing``, ``polish round 2``), the budget caps of the
enclosing steps, and the inputs a person edited when retrying a step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from podium.activities.contract_base import Contract
from podium.workflows.state import BudgetState, StepState


class ScopeData(Contract):
    """The expression scope as it crosses into a map batch child workflow."""

    input: dict[str, Any]
    steps: dict[str, Any]
    vars: dict[str, Any]


@dataclass(frozen=True)
class Frame:
    """A step's scope and surroundings (immutable: a nested step gets its own frame)."""

    data: dict[str, Any]
    """``{input, steps, vars}``: what expressions read. ``steps`` is the run's one shared
    record of step outputs (a nested frame writes to the same dict)."""
    owner: StepState | None = None
    """The tracked record the work is charged and recorded on (None: untracked)."""
    label: str | None = None
    """Names a nested call: ``map[3]``, ``route → billing``, ``polish round 2``."""
    caps: tuple[tuple[str, BudgetState], ...] = ()
    """Budget caps of the enclosing steps, outermost first: (step id, ledger)."""
    overrides: tuple[tuple[str, dict[str, Any]], ...] = ()
    """Inputs a person edited when retrying a step: (step id, inputs)."""
    caller: str | None = None
    """Who handed nested agent calls their work (a supervisor): their Web UI label reads
    ``caller → agent · label``."""

    @classmethod
    def of_run(cls, run_input: dict[str, Any]) -> Frame:
        """The top frame of a run."""
        return cls(data={"input": run_input, "steps": {}, "vars": {}})

    @property
    def steps(self) -> dict[str, Any]:
        """The run's step results by id (``{output, status}``)."""
        return self.data["steps"]  # type: ignore[no-any-return]

    def with_vars(self, **values: Any) -> Frame:
        """The same frame with ``vars`` extended (map items, refine rounds)."""
        data = {**self.data, "vars": {**self.data["vars"], **values}}
        return replace(self, data=data)

    def labelled(self, label: str, caller: str | None = None) -> Frame:
        return replace(self, label=label, caller=caller)

    def capped(self, step_id: str, cap: BudgetState) -> Frame:
        return replace(self, caps=(*self.caps, (step_id, cap)))

    def overriding(self, step_id: str, inputs: dict[str, Any]) -> Frame:
        return replace(self, overrides=(*self.overrides, (step_id, inputs)))

    def owned_by(self, owner: StepState | None) -> Frame:
        return replace(self, owner=owner)

    def owns(self, step_id: str) -> bool:
        """Whether the work of ``step_id`` is recorded on its own tracked record."""
        return self.owner is not None and self.owner.id == step_id

    def edited_inputs(self, step_id: str) -> dict[str, Any]:
        """The inputs a person supplied for ``step_id`` (latest wins), or ``{}``."""
        found: dict[str, Any] = {}
        for sid, inputs in self.overrides:
            if sid == step_id:
                found = inputs
        return found

    def snapshot(self) -> Frame:
        """This frame with the step outputs as they are now (a later pass of a loop, or a
        later map item, does not change what it reads)."""
        return replace(self, data={**self.data, "steps": dict(self.steps)})

    def shared(self) -> ScopeData:
        """The scope to hand a map batch child (no label, caps or owner: they stay here)."""
        return ScopeData(input=self.data["input"], steps=self.steps, vars=self.data["vars"])

    @classmethod
    def of_batch(cls, data: ScopeData) -> Frame:
        """A map batch child's frame from what its parent shared."""
        return cls(data={"input": data.input, "steps": data.steps, "vars": data.vars})
