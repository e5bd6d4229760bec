"""Fan-out / fan-in with join policies: all, any (first success wins), quorum N."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from podium.activities.error_types import RUN_STOPPING
from podium.activities.errors import JoinFailed
from temporalio import workflow

Join = Literal["all", "any", "quorum"]


@dataclass
class BranchOutcome:
    """How one branch ended: ``ok`` with ``value``, failed with ``error``, or cancelled."""

    status: Literal["ok", "failed", "cancelled"]
    value: Any = None
    error: BaseException | None = None


async def fan_out(
    branches: dict[str, Callable[[], Coroutine[Any, Any, Any]]],
    join: Join = "all",
    quorum: int | None = None,
    tolerate: set[str] | None = None,
) -> dict[str, BranchOutcome]:
    """Run every branch concurrently and join them.

    Args:
        branches: branch name → zero-argument coroutine factory.
        join: ``all`` waits for every branch; ``any`` returns at the first success and
            cancels the rest; ``quorum`` returns once ``quorum`` branches succeeded and
            cancels the rest.
        quorum: successes needed for ``quorum``.
        tolerate: branches whose failure is recorded instead of failing the join.

    Raises:
        JoinFailed: a branch outside ``tolerate`` failed, or the needed number of
            successes can no longer be reached. Running branches are cancelled first.
    """
    tolerate = tolerate or set()
    tasks: dict[str, asyncio.Task[Any]] = {
        name: asyncio.create_task(factory()) for name, factory in branches.items()
    }
    order = list(tasks.values())  # creation order: commands must replay in the same order
    names = {task: name for name, task in tasks.items()}
    outcomes: dict[str, BranchOutcome] = {}
    failure: tuple[str, BaseException] | None = None

    def needed() -> int:
        if join == "all":  # every branch, less the tolerated ones that failed
            return len(branches) - sum(1 for o in outcomes.values() if o.status == "failed")
        return 1 if join == "any" else quorum or len(branches)

    pending = list(order)
    try:
        while pending:
            done, _ = await workflow.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            finished = set(done)
            for task in [t for t in order if t in finished]:
                name = names[task]
                if task.cancelled():
                    outcomes[name] = BranchOutcome("cancelled")
                elif (exc := task.exception()) is not None:
                    outcomes[name] = BranchOutcome("failed", error=exc)
                    if failure is None and (name not in tolerate or _fatal(exc)):
                        failure = (name, exc)
                else:
                    outcomes[name] = BranchOutcome("ok", value=task.result())
            pending = [t for t in pending if t not in finished]
            succeeded = sum(1 for o in outcomes.values() if o.status == "ok")
            reachable = succeeded + len(pending) >= needed()
            if failure is not None or (succeeded >= needed() and join != "all") or not reachable:
                break
    except asyncio.CancelledError:  # the step itself was cancelled: stop every branch
        for task in pending:
            task.cancel()
        for task in pending:
            try:
                await task
            except BaseException:  # noqa: BLE001 - they end however they end
                pass
        raise
    for task in pending:
        task.cancel()
    for task in pending:
        try:
            await task
        except BaseException:  # noqa: BLE001 - cancelled losers end however they end
            pass
        outcomes[names[task]] = BranchOutcome("cancelled")
    if failure is not None:
        name, exc = failure
        raise JoinFailed(f"branch {name!r} failed: {_message(exc)}", outcomes, exc)
    succeeded = sum(1 for o in outcomes.values() if o.status == "ok")
    if succeeded < needed():
        raise JoinFailed(
            f"join {join!r} needs {needed()} successful branches, got {succeeded}", outcomes, None
        )
    return {name: outcomes[name] for name in branches}


FATAL = RUN_STOPPING
"""Failures of the whole run (a person aborted it, its budget or deadline ran out): no
branch, item or optional-step policy may swallow them."""


def _fatal(exc: BaseException) -> bool:
    return getattr(exc, "type", None) in FATAL


def _message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__
