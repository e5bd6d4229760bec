"""Booking a rate-limit slot while the Temporal server is down leaves no noise behind."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from podium.activities import limits
from podium.activities.errors import LimiterUnavailable
from podium.workflows.limiter import LeaseRequest
from temporalio.service import RPCError, RPCStatusCode


class DownServer:
    """A client whose server is unreachable, failing the way temporalio's client does:
    the start operation's handle future gets the error too."""

    async def execute_update_with_start_workflow(self, *args, start_workflow_operation, **kw):
        error = RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")
        start_workflow_operation._workflow_handle.set_exception(error)
        raise error


async def test_failed_bookings_leave_no_unretrieved_future_exceptions(monkeypatch, caplog):
    monkeypatch.setattr(limits, "BOOKING_S", 0.3)
    booker = limits._Booker(DownServer(), "down")  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(LimiterUnavailable, match="did not answer"):
            await booker.book(LeaseRequest(tokens=1, requests_per_second=5))
        await asyncio.sleep(0)
        gc.collect()
        await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text
