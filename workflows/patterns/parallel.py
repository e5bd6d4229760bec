"""Fan-out / fan-in with join policies: all, any (first success wins), quorum N."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from temporalio import workflow

Join = Literal["all", "any", "quorum"]


@dataclass
class BranchOutcome:
    """How one branch ended: ``ok`` with ``value``, failed with ``error``, or cancelled."""

    status: Literal["ok", "failed", "cancelled"]
    value: Any = None
    error: BaseException | None = None


class JoinFailed(Exception):
    """The join cannot succeed: a ``fail`` branch failed, or too few branches succeeded."""

    def __init__(
        self, message: str, outcomes: dict[str, BranchOutcome], cause: BaseException | None
    ):
        super().__init__(message)
        self.outcomes = outcomes
        self.cause = cause


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
    needed = {"all": len(branches), "any": 1, "quorum": quorum or len(branches)}[join]
    tasks: dict[str, asyncio.Task[Any]] = {
        name: asyncio.create_task(factory()) for name, factory in branches.items()
    }
    outcomes: dict[str, BranchOutcome] = {}
    pending: set[asyncio.Task[Any]] = set(tasks.values())
    names = {task: name for name, task in tasks.items()}
    failure: tuple[str, BaseException] | None = None
    while pending:
        done_list, pending_list = await workflow.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        done, pending = set(done_list), set(pending_list)
        for task in sorted(done, key=lambda t: list(tasks).index(names[t])):
            name = names[task]
            if task.cancelled():
                outcomes[name] = BranchOutcome("cancelled")
            elif (exc := task.exception()) is not None:
                outcomes[name] = BranchOutcome("failed", error=exc)
                if name not in tolerate and failure is None:
                    failure = (name, exc)
            else:
                outcomes[name] = BranchOutcome("ok", value=task.result())
        succeeded = sum(1 for o in outcomes.values() if o.status == "ok")
        reachable = succeeded + len(pending) >= needed
        if failure is not None or succeeded >= needed and join != "all" or not reachable:
            break
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
    if succeeded < needed:
        raise JoinFailed(
            f"join {join!r} needs {needed} successful branches, got {succeeded}", outcomes, None
        )
    return {name: outcomes[name] for name in branches}


def _message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__
