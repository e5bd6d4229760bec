"""``podium approve RUN REQUEST --approve|--reject``: answer a waiting approval."""

from __future__ import annotations

from podium.starters.humans import decide, default_user
from podium.workflows.humans import DecisionInput
from temporalio.client import Client


async def main(
    client: Client | None,
    run_id: str,
    request_id: str,
    approve: bool,
    *,
    comment: str = "",
    user: str | None = None,
    address: str | None = None,
) -> int:
    """Approve (or reject) ``request_id`` of ``run_id``; ``user`` decides (default:
    ``PODIUM_USER``, else the login name)."""
    decision = DecisionInput(
        request_id=request_id,
        outcome="approve" if approve else "reject",
        by=user or default_user(),
        comment=comment,
    )
    return await decide(client, run_id, decision, address)
