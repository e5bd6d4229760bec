"""Checking a run's input against the spec's input schema before it starts."""

from __future__ import annotations

from typing import Any

from podium.activities.validation import schema_errors
from podium.compiler.problems import CompileError, Problem
from podium.workflows.plan import Plan


def check_input(plan: Plan, value: Any, source: str = "--input") -> None:
    """Raise ``CompileError`` listing every way ``value`` breaks the plan's input schema."""
    errors = schema_errors(value, plan.input_schema)
    if errors:
        raise CompileError(
            [
                Problem(
                    f"run input does not match spec {plan.name!r}: {e}",
                    where=source,
                    hint="compare with the spec's input: schema",
                )
                for e in errors
            ]
        )
