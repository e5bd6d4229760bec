"""Iterative refinement: a producer and a reviewer loop until accepted or N rounds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RefineOutcome:
    """The last draft, whether the reviewer accepted it, and every round."""

    draft: Any
    converged: bool
    rounds: list[tuple[Any, Any, bool]] = field(default_factory=list)
    """(draft, review, accepted) per round."""


async def refine_loop(
    produce: Callable[[int, Any, Any], Awaitable[Any]],
    review: Callable[[int, Any], Awaitable[Any]],
    accepted: Callable[[int, Any, Any], bool],
    max_rounds: int,
    on_round: Callable[[int, Any, Any, bool], None] | None = None,
) -> RefineOutcome:
    """Run up to ``max_rounds`` rounds of ``produce`` then ``review``.

    Args:
        produce: ``(round, previous draft, previous review) → draft``; the previous
            review is the feedback for this round (None in round 1).
        review: ``(round, draft) → review``.
        accepted: ``(round, draft, review) → bool``; True ends the loop.
        max_rounds: the most rounds to run.
        on_round: called after each round (for progress/state).
    """
    draft: Any = None
    feedback: Any = None
    outcome = RefineOutcome(draft=None, converged=False)
    for round_no in range(1, max_rounds + 1):
        draft = await produce(round_no, draft, feedback)
        feedback = await review(round_no, draft)
        ok = bool(accepted(round_no, draft, feedback))
        outcome.rounds.append((draft, feedback, ok))
        if on_round is not None:
            on_round(round_no, draft, feedback, ok)
        if ok:
            outcome.converged = True
            break
    outcome.draft = draft
    return outcome
