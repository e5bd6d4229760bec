"""Provider limits before each agent call (and a tool's ``requests_per_second`` before each
of its calls): a lease from the provider's (the tool's) limiter workflow.

``tokens_per_minute`` and ``requests_per_second`` must hold across every worker process,
so the buckets are not in this process: they are the ``PodiumTokenLimiter`` workflow of
the provider (``workflows/limiter.py``), started on first use by Update-with-Start.
(``requests_per_second`` is also the provider task queue's dispatch rate, enforced by
the Temporal server; that one lets a second after a lull see up to twice the rate,
which the lease's one-slot bucket prevents.)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import socket
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from podium.activities.contracts import AgentCall
from podium.activities.errors import LimiterUnavailable
from podium.activities.limiter_contracts import (
    LIMITER_WORKFLOW,
    FairAnswer,
    FairBatch,
    FairLease,
    FairRequest,
    Lease,
    LeaseBatch,
    LeaseRequest,
    LimiterState,
    Settlement,
    limiter_id,
)
from podium.activities.providers.prompt import estimate_call
from podium.activities.queues import ORCHESTRATION_QUEUE
from podium.activities.tool_contracts import ToolCallInput
from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

logger = logging.getLogger("podium.limits")
BOOKING_S = 30.0
BATCH = 200
POLL_S = 0.5
"""While requests wait in the limiter's queues, their slots are asked for this often
(the limiter's ``POLL_S``)."""


PACE = 0.98
"""Requests are spaced for 98% of ``requests_per_second``: the jitter between a grant and
the request's arrival at the provider never pushes a second over the limit."""


async def lease(call: AgentCall) -> int:
    """Book the call's slot with the provider's limiter and sleep until it comes; returns
    the tokens leased (0 when the provider sets no tokens_per_minute)."""
    provider = call.agent.provider
    if not provider.tokens_per_minute and not provider.requests_per_second:
        return 0
    tokens = sum(estimate_call(call)) if provider.tokens_per_minute else 0
    burst = provider.tokens_burst or provider.tokens_per_minute or 0
    rps = provider.requests_per_second * PACE if provider.requests_per_second else None
    request = FairRequest(
        tokens=tokens,
        tokens_per_minute=provider.tokens_per_minute,
        burst=burst,
        requests_per_second=rps,
        who=f"{call.run_id}/{call.step_id}",
        **_fairness(),
    )
    await _wait_for_slot(provider.name, request)
    return tokens


async def lease_tool(call: ToolCallInput) -> None:
    """Book a tool call's slot with the tool's limiter (``tool:<name>``, one for every
    worker) and sleep until it comes."""
    rate = call.tool.requests_per_second
    if not rate:
        return
    request = FairRequest(
        tokens=0,
        requests_per_second=rate * PACE,
        who=f"{call.run_id}/{call.step_id}",
        **_fairness(),
    )
    await _wait_for_slot(TOOL_LIMITER + call.tool.name, request)


def _fairness() -> dict[str, Any]:
    """The calling run's fairness key and weight (Temporal gives every activity its run's
    task priority): the limiter shares its capacity between keys by weight."""
    priority = activity.info().priority
    return {
        "fairness_key": priority.fairness_key or "",
        "weight": priority.fairness_weight or 1.0,
    }


TOOL_LIMITER = "tool:"
"""A tool's limiter is named ``tool:<tool>`` (provider names cannot contain ':')."""


async def _wait_for_slot(limiter: str, request: LeaseRequest) -> None:
    granted = await _book(limiter, request)
    delay = (granted.granted_at - datetime.now(UTC)).total_seconds()
    if delay > 0:
        if delay > 0.5:
            logger.info(
                "rate limits: %s waits %.2fs for its slot (%d tokens) at %s",
                request.who,
                delay,
                request.tokens,
                limiter,
            )
        await asyncio.sleep(delay)


def _named(limiter: str) -> str:
    """``provider 'x'`` or ``tool 'y'``, for messages."""
    if limiter.startswith(TOOL_LIMITER):
        return f"tool {limiter.removeprefix(TOOL_LIMITER)!r}"
    return f"provider {limiter!r}"


class _Booker:
    """Gathers this process's lease requests for one limiter into batched Updates, one in
    flight at a time (the limiter's fair booking: ``request``). Requests the limiter could
    not give a slot within its horizon wait there, in their fairness key's queue; while
    any wait, this process asks for their slots every ``POLL_S``."""

    def __init__(self, client: Client, provider: str) -> None:
        self.client = client
        self.provider = provider
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.pending: list[FairRequest] = []
        self.waiting: dict[str, tuple[FairRequest, asyncio.Future[Lease]]] = {}
        self.dropped: list[str] = []
        self.acked: list[str] = []
        self.sender: asyncio.Task[None] | None = None
        self.tickets = itertools.count(1)
        self.limits = LeaseRequest(tokens=0)
        self.legacy = False
        """The limiter runs on a worker deployed before fair booking: ``acquire``."""

    async def book(self, request: LeaseRequest) -> Lease:
        ticket = str(next(self.tickets))
        request = FairRequest(**{**request.model_dump(), "ticket": ticket})
        future: asyncio.Future[Lease] = asyncio.get_running_loop().create_future()
        self.waiting[ticket] = (request, future)
        self.pending.append(request)
        if self.sender is None or self.sender.done():
            self.sender = asyncio.create_task(self._send())
        try:
            return await future
        finally:
            if self.waiting.pop(ticket, None) is not None:  # cancelled: give the slot up
                self.dropped.append(ticket)

    async def _send(self) -> None:
        while self.pending or self.waiting or self.dropped:  # (acks ride on the next one)
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            dropped, self.dropped = self.dropped, []
            acked, self.acked = self.acked, []
            try:
                if self.legacy:
                    answer = await self._acquire(batch)
                else:
                    answer = await self._update(
                        FairBatch(owner=self.owner, requests=batch, dropped=dropped, acked=acked)
                    )
            except Exception as exc:  # the limiter is gone for good: every wait ends
                for _, future in self.waiting.values():
                    if not future.done():
                        future.set_exception(exc)
                self.dropped.extend(dropped)
                self.dropped.extend(self.waiting)
                self.waiting.clear()
                self.pending.clear()
                return  # (the next booking starts a new sender)
            for granted in answer.leases:
                self.acked.append(granted.ticket)
                entry = self.waiting.pop(granted.ticket, None)
                if entry is not None and not entry[1].done():
                    entry[1].set_result(granted)
            if answer.forgotten:  # the limiter did not know us: ask again for the others
                sent = {r.ticket for r in batch} | {r.ticket for r in self.pending}
                self.pending.extend(r for r, _ in self.waiting.values() if r.ticket not in sent)
            if not self.pending and (self.waiting or self.dropped):
                await asyncio.sleep(POLL_S)

    async def _acquire(self, requests: list[FairRequest]) -> FairAnswer:
        """The booking of limiters deployed before fair booking: ``acquire`` books every
        request at once, in arrival order (fairness keys are not known there)."""
        if not requests:
            return FairAnswer()
        old = [
            LeaseRequest(**r.model_dump(include=set(LeaseRequest.model_fields))) for r in requests
        ]
        handle = self.client.get_workflow_handle(limiter_id(self.provider))
        leases = await handle.execute_update(
            "acquire", LeaseBatch(requests=old), result_type=list[Lease]
        )
        return FairAnswer(
            leases=[
                FairLease(**lease.model_dump(), ticket=r.ticket)
                for r, lease in zip(requests, leases, strict=True)
            ]
        )

    async def _update(self, batch: FairBatch) -> FairAnswer:
        """The Update (starting the limiter if needed), retried while the limiter moves to
        a new run or the server is busy."""
        delay = 0.05
        deadline = time.monotonic() + BOOKING_S
        if batch.requests:
            self.limits = batch.requests[0]  # (a poll may start a limiter that ended)
        first = self.limits
        while True:
            start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
                LIMITER_WORKFLOW,
                LimiterState(
                    provider=self.provider,
                    tokens_per_minute=first.tokens_per_minute,
                    burst=first.burst or 0,
                    requests_per_second=first.requests_per_second,
                ),
                id=limiter_id(self.provider),
                task_queue=ORCHESTRATION_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"rate limiter of {_named(self.provider)}",
            )
            observe_start(start)
            try:
                answer: FairAnswer = await asyncio.wait_for(
                    self.client.execute_update_with_start_workflow(
                        "request",
                        batch,
                        start_workflow_operation=start,
                        result_type=FairAnswer,
                    ),
                    timeout=max(1.0, deadline - time.monotonic()),
                )
                return answer
            except WorkflowUpdateFailedError as exc:  # refused by the limiter: will not change
                if "request" in str(exc.cause) and "not found" in str(exc.cause):
                    # a limiter run by an orchestration worker deployed before fair booking
                    logger.warning("rate limits: %s books the old way (acquire)", self.provider)
                    self.legacy = True
                    return await self._acquire(batch.requests)
                raise LimiterUnavailable(
                    f"the rate limiter of {_named(self.provider)} refused the booking: "
                    f"{exc.cause or exc}"
                ) from None
            except Exception as exc:  # busy, moving to a new run, or not running
                if time.monotonic() >= deadline:
                    raise LimiterUnavailable(
                        f"the rate limiter of {_named(self.provider)} did not answer for "
                        f"{BOOKING_S:.0f}s ({type(exc).__name__}: {exc}); is an orchestration "
                        "worker running?"
                    ) from None
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(1.0, delay * 2)


def observe_start(start: WithStartWorkflowOperation[Any, Any]) -> None:
    """Retrieve the start operation's own outcome, which nobody awaits: when the server is
    down the client sets an RPCError on it, and asyncio would log "Future exception was
    never retrieved" for every failed booking."""
    future = getattr(start, "_workflow_handle", None)  # the SDK keeps it private
    if isinstance(future, asyncio.Future):
        future.add_done_callback(lambda f: f.cancelled() or f.exception())


_bookers: dict[tuple[int, str], _Booker] = {}


async def _book(provider: str, request: LeaseRequest) -> Lease:
    client = activity.client()
    booker = _bookers.get((id(client), provider))
    if booker is None:
        booker = _bookers[(id(client), provider)] = _Booker(client, provider)
    return await booker.book(request)


async def settle(call: AgentCall, leased: int, used: int) -> None:
    """Tell the limiter when the call used more than it leased (the estimate was low)."""
    if not leased or used <= leased:
        return
    handle = activity.client().get_workflow_handle(limiter_id(call.agent.provider.name))
    try:
        await handle.signal("settle", Settlement(leased=leased, used=used))
    except RPCError as exc:  # the limiter ended meanwhile: its successor starts full anyway
        logger.warning("tokens/minute settlement not delivered: %s", exc)
