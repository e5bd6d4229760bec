"""Notifying people: POST a JSON message to webhooks when a request opens or escalates."""

from __future__ import annotations

import os
from typing import Any

import httpx
from podium.activities.contracts import Contract
from temporalio import activity
from temporalio.exceptions import ApplicationError

WEBHOOKS_ENV = "PODIUM_WEBHOOK_URLS"
"""Comma-separated webhook URLs configured on the worker (in addition to the spec's)."""


class Notification(Contract):
    """One message about a human request."""

    event: str
    """``request.opened``, ``request.escalated``, ``request.decided`` or ``deadline.breached``
    (then ``request`` holds the step, its deadline and what Podium does about it)."""
    run_id: str
    spec: str
    request: dict[str, Any]
    urls: list[str] = []


class NotifyResult(Contract):
    """Which webhooks accepted the message."""

    delivered: list[str]


@activity.defn(name="podium.notify")
async def notify(message: Notification) -> NotifyResult:
    """POST ``message`` as JSON to every webhook; raise (so Temporal retries) if any fails."""
    urls = list(message.urls) + [
        u.strip() for u in os.environ.get(WEBHOOKS_ENV, "").split(",") if u.strip()
    ]
    body = message.model_dump(mode="json", exclude={"urls"})
    delivered, failed = [], []
    async with httpx.AsyncClient(timeout=10.0) as client:
        for url in urls:
            try:
                response = await client.post(url, json=body)
                response.raise_for_status()
                delivered.append(url)
            except httpx.HTTPError as exc:
                failed.append(f"{url}: {type(exc).__name__}")
    if failed:
        raise ApplicationError(
            "webhook delivery failed: " + "; ".join(failed), type="WebhookFailed"
        )
    return NotifyResult(delivered=delivered)
