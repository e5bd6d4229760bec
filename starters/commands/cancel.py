"""``podium cancel RUN [--reason TEXT]``: cancel a run; its compensations run first."""

from __future__ import annotations

from podium.starters.connect import connect
from podium.starters.humans import default_user
from temporalio.client import Client


def cancel_reason(reason: str | None, user: str) -> str:
    """What ``podium cancel`` records as the request's cause."""
    who = f"podium cancel by {user}"
    return f"{reason} ({who})" if reason else who


async def main(
    client: Client | None, run_id: str, address: str | None = None, reason: str | None = None
) -> int:
    """Request cancellation of ``run_id``; its compensations run before it ends.

    The request records ``reason`` and who asked; ``podium status`` shows both.
    """
    client = client or await connect(address)
    await client.get_workflow_handle(run_id).cancel(reason=cancel_reason(reason, default_user()))
    print(
        f"cancellation requested for {run_id}; completed steps with compensate: are undone "
        "before it ends (see `temporal workflow describe` or the Web UI)"
    )
    return 0
