"""Judging a run's record against a case's ``expect``: how it ended, its output, its
trajectory. Each check gives one ``CheckResult`` that says what was checked and, when
it failed, what was found instead. Judge scorers are ``starters.evals.judge``.

What each check reads (``starters.evals.record``):

- ``status``, ``output`` checks: the run's result (output, final status, steps' outputs);
- ``trajectory.agents`` / ``tools`` / ``not_*``: the calls in the run's history;
- ``trajectory.approvals``: the requests of kind approval in the run's state, in the
  order they opened;
- ``supervisor_turns_max``: the decisions of every ``supervise`` step in the state;
- ``cost_usd_max`` / ``tokens_max``: the run's totals in its state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from jmespath.exceptions import JMESPathError
from podium.activities.validation import schema_errors
from podium.starters.evals.record import RunRecord
from podium.starters.evals.suite import Expect, OutputCheck, Trajectory
from podium.starters.formatting import short
from podium.workflows.expressions import evaluate
from pydantic import BaseModel

CheckKind = Literal["status", "output", "trajectory", "judge"]
SHOWN = 120
"""Characters of a value quoted in a failed check's message."""


class CheckResult(BaseModel):
    """One check of one case: what it checked, whether it held, and why not."""

    kind: CheckKind
    what: str
    passed: bool
    detail: str = ""
    """When it failed: what was found instead (when it passed: what was measured, if any)."""


def check_run(expect: Expect, record: RunRecord) -> list[CheckResult]:
    """The status, output and trajectory checks of ``expect`` on ``record``."""
    results = [_status(expect, record)]
    ended_as_expected = results[0].passed
    scope = record.scope()
    for check in expect.output:
        if not ended_as_expected and record.status != "completed":
            results.append(_not_checked(describe(check), record))
            continue
        try:
            results.append(_output(check, scope))
        except JMESPathError as exc:  # e.g. length() of a null: the output is not as thought
            why = f"the expression could not be evaluated: {exc}".splitlines()[0]
            failed = CheckResult(kind="output", what=describe(check), passed=False, detail=why)
            results.append(failed)
    if expect.trajectory is not None:
        results += _trajectory(expect.trajectory, record)
    return results


def _status(expect: Expect, record: RunRecord) -> CheckResult:
    what = f"the run ends {expect.status}"
    if record.status == expect.status:
        return CheckResult(kind="status", what=what, passed=True)
    why = f": {record.error}" if record.error else ""
    return CheckResult(kind="status", what=what, passed=False, detail=f"{record.status}{why}")


def _not_checked(what: str, record: RunRecord) -> CheckResult:
    return CheckResult(
        kind="output", what=what, passed=False, detail=f"not checked: the run {record.status}"
    )


def describe(check: OutputCheck) -> str:
    """One line naming the check: ``output.category equals 'billing'``."""
    if check.jmespath is not None:
        verb = "equals" if "equals" in check.model_fields_set else "contains"
        value = check.equals if verb == "equals" else check.contains
        return f"{check.jmespath} {verb} {short(json.dumps(value, ensure_ascii=False), 60)}"
    if check.regex is not None:
        return f"{check.at} matches /{short(check.regex, 60)}/"
    return f"{check.at} matches the schema"


def _output(check: OutputCheck, scope: dict[str, Any]) -> CheckResult:
    what = describe(check)
    passed, detail = False, ""
    if check.jmespath is not None:
        value = evaluate(check.jmespath, scope)
        if "equals" in check.model_fields_set:
            passed = value == check.equals
            detail = f"it is {_quote(value)}"
        else:
            passed, detail = _contains(value, check.contains)
    elif check.regex is not None:
        value = evaluate(check.at, scope)
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        flags = re.IGNORECASE if check.ignore_case else 0
        passed = re.search(check.regex, text, flags) is not None
        detail = f"it is {_quote(value)}"
    elif check.schema_ is not None:
        errors = schema_errors(evaluate(check.at, scope), check.schema_)
        passed = not errors
        detail = "; ".join(errors[:3]) + (f" (and {len(errors) - 3} more)" if errors[3:] else "")
    return CheckResult(kind="output", what=what, passed=passed, detail="" if passed else detail)


def _contains(value: Any, wanted: Any) -> tuple[bool, str]:
    if isinstance(value, str):
        if not isinstance(wanted, str):
            return False, f"it is text, {_quote(value)}, and {_quote(wanted)} is not"
        return wanted in value, f"it is {_quote(value)}"
    if isinstance(value, list):
        return wanted in value, f"it is {_quote(value)}"
    if isinstance(value, dict):
        return (isinstance(wanted, str) and wanted in value), f"its keys are {sorted(value)}"
    return False, f"it is {_quote(value)}, which holds nothing"


def _quote(value: Any) -> str:
    return short(json.dumps(value, ensure_ascii=False, default=str), SHOWN)


def _trajectory(expected: Trajectory, record: RunRecord) -> list[CheckResult]:
    results: list[CheckResult] = []
    for kind, wanted, never in (
        ("agent", expected.agents, expected.not_agents),
        ("tool", expected.tools, expected.not_tools),
    ):
        called = record.names(kind)  # type: ignore[arg-type]
        if wanted is not None:
            results.append(_sequence(kind, wanted, called, expected.order))
        for name in never:
            count = called.count(name)
            results.append(
                CheckResult(
                    kind="trajectory",
                    what=f"{kind} {name} is never called",
                    passed=count == 0,
                    detail=f"called {count}×" if count else "",
                )
            )
    state = record.state
    if expected.approvals is not None:
        results.append(_approvals(expected.approvals, record))
    limits: list[tuple[str, float | None, float | None, Callable[[float], str]]] = [
        ("supervisor turns", expected.supervisor_turns_max, _turns(record), _number),
        ("cost", expected.cost_usd_max, state.cost_usd if state else None, _dollars),
        ("tokens", expected.tokens_max, state.usage.total_tokens if state else None, _number),
    ]
    for what, limit, measured, text in limits:
        if limit is None:
            continue
        found = "unknown: the run's state could not be read" if measured is None else text(measured)
        results.append(
            CheckResult(
                kind="trajectory",
                what=f"{what} at most {text(limit)}",
                passed=measured is not None and measured <= limit,
                detail=found,
            )
        )
    return results


def _number(value: float) -> str:
    return f"{value:g}"


def _dollars(value: float) -> str:
    """``$0.000141`` (six decimals, trailing zeros dropped: ``$0.01``)."""
    return f"${value:.6f}".rstrip("0").rstrip(".")


def _sequence(kind: str, wanted: list[str], called: list[str], order: str) -> CheckResult:
    """Whether ``called`` shows ``wanted`` as ``order`` says."""
    arrow = " → ".join(wanted) or "none"
    if order == "exact":
        what, passed = f"{kind}s called exactly: {arrow}", called == wanted
    elif order == "any":
        missing = [name for name in wanted if name not in called]
        what, passed = f"{kind}s called (any order): {', '.join(wanted)}", not missing
    else:
        what, passed = f"{kind}s called in order: {arrow}", _in_order(wanted, called)
    detail = "called: " + (" → ".join(called) or f"no {kind}")
    return CheckResult(kind="trajectory", what=what, passed=passed, detail=detail)


def _in_order(wanted: list[str], called: list[str]) -> bool:
    """``wanted`` is a subsequence of ``called``."""
    rest = iter(called)
    return all(name in rest for name in wanted)


def _approvals(expected: list[str] | int, record: RunRecord) -> CheckResult:
    asked = [r for r in (record.state.requests if record.state else []) if r.kind == "approval"]
    shown = ", ".join(f"{r.id} ({r.title})" for r in asked) or "none asked"
    if isinstance(expected, int):
        what = f"{expected} approval{'s' if expected != 1 else ''} asked"
        return CheckResult(
            kind="trajectory", what=what, passed=len(asked) == expected, detail=shown
        )
    what = "approvals asked: " + (", ".join(expected) or "none")
    passed = len(asked) == len(expected) and all(
        name in (request.step, request.id) for name, request in zip(expected, asked, strict=False)
    )
    return CheckResult(kind="trajectory", what=what, passed=passed, detail=shown)


def _turns(record: RunRecord) -> int | None:
    if record.state is None:
        return None
    return sum(len(step.supervision) for step in record.state.steps)
