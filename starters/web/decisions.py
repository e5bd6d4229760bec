"""A person's answer to a request, from the console's form to the run's ``decide`` Update.

Each kind of request has its answers (``workflows.humans.OUTCOMES``): an approval is
approved or rejected; a failed step is retried, given its output by hand (``supply``),
skipped or aborted; a budget is raised or the run continues or stops; a missed deadline
is let go, the step skipped, or the run stopped. What the form cannot hold is refused here
with what to fix; everything else — who may answer, whether a supplied output fits the
step's schema, whether a raise is a raise — is the run's to check (its Update validator).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from podium.workflows.humans import OUTCOMES, BudgetRaise, DecisionInput, HumanRequest
from pydantic import ValidationError


class BadAnswer(ValueError):
    """The form does not hold an answer the request can take (the message says why)."""


def decision_from(asked: HumanRequest, form: Any, by: str) -> DecisionInput:
    """The decision the form holds for ``asked``, by ``by``."""
    outcome = str(form.get("outcome", ""))
    allowed = OUTCOMES[asked.kind]
    if outcome not in allowed:
        raise BadAnswer(f"answer with one of: {', '.join(allowed)}")
    fields: dict[str, Any] = {}
    if outcome == "supply":
        fields["output"] = _supplied(asked, str(form.get("output", "")))
    if outcome == "raise":
        fields["budget"] = _raise(form)
    return DecisionInput(
        request_id=asked.id,
        outcome=outcome,  # type: ignore[arg-type]
        by=by,
        comment=str(form.get("comment", "")).strip(),
        **fields,
    )


def _supplied(asked: HumanRequest, text: str) -> Any:
    """The output a person typed: JSON when the step has a schema (else text, or JSON if
    it reads as such)."""
    if not text.strip():
        raise BadAnswer("write the step's output to supply it")
    try:
        return json.loads(text)
    except ValueError:
        if asked.output_schema is not None:
            raise BadAnswer(
                "the step's output must be JSON that matches its schema (shown above)"
            ) from None
        return text


def _raise(form: Any) -> BudgetRaise:
    usd, tokens = str(form.get("usd", "")).strip(), str(form.get("tokens", "")).strip()
    if not usd and not tokens:
        raise BadAnswer("give the new limit in dollars, tokens or both to raise the budget")
    try:
        return BudgetRaise(usd=float(usd) if usd else None, tokens=int(tokens) if tokens else None)
    except (ValueError, ValidationError):
        raise BadAnswer(
            "the new limits must be positive numbers (dollars) and whole tokens"
        ) from None


@dataclass(frozen=True)
class Ahead:
    """What happens to an open request if nobody answers: the next levels of its
    escalation chain, and what it defaults to at the end."""

    levels: list[tuple[int, list[str], datetime]]
    """(level number, who decides then, from when)."""
    ends_at: datetime | None
    default: str | None
    """``approve``, ``reject`` or ``fail`` once the last level's time is up (None: never)."""


def ahead(asked: HumanRequest) -> Ahead:
    """The escalation ``asked`` will go through (as ``podium show`` prints it)."""
    levels = []
    start = asked.deadline
    for number, later in enumerate(asked.chain[asked.level + 1 :], asked.level + 2):
        if start is None:
            break
        levels.append((number, later.approvers, start))
        start = start + timedelta(seconds=later.wait_s) if later.wait_s else None
    default = asked.on_timeout if start is not None else None
    return Ahead(levels=levels, ends_at=start if default else None, default=default)
