"""Map a coroutine over items with a concurrency cap, keeping input order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


async def map_bounded(
    items: Sequence[T],
    fn: Callable[[int, T], Awaitable[Any]],
    max_concurrency: int,
    on_done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[await fn(i, item) …]`` with at most ``max_concurrency`` running at once.

    Results keep the input order. The first failure cancels the items still running
    and is raised.
    """
    gate = asyncio.Semaphore(max(1, max_concurrency))
    results: list[Any] = [None] * len(items)

    async def one(index: int, item: T) -> None:
        async with gate:
            results[index] = await fn(index, item)
        if on_done is not None:
            on_done(index, results[index])

    tasks = [asyncio.create_task(one(i, item)) for i, item in enumerate(items)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
    return results
