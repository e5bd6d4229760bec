"""Refusing a run whose workflow input Temporal would refuse, before anything is sent.

The workflow input is one payload: the compiled plan plus the run input. Temporal's
default blob size limit refuses a payload over 2 MB (and gRPC a message over 4 MB) with
a raw transport error; here the user hears how big it is and what to do instead. With a
payload store (``activities.payloads``) large payloads are stored outside the history
and the start request carries a reference.
"""

from __future__ import annotations

from typing import Any

from podium.activities.payloads.limits import PAYLOAD_LIMIT, megabytes, payload_bytes
from podium.starters.inputs import InputError
from podium.workflows.plan import Plan, RunInput

GRPC_LIMIT = 4 * 1024 * 1024
"""gRPC's default message limit (the whole start request)."""
STORE_LIMIT = 50 * 1024 * 1024
"""The largest payload a payload store takes (the S3 driver's limit)."""


class InputTooLarge(InputError):
    """The workflow input is over the server's payload limit."""


def check_size(
    plan: Plan, run_input: dict[str, Any], source: str = "the input", *, stored: bool = False
) -> None:
    """Raise InputTooLarge if the start request would be refused for its size (``stored``:
    a payload store takes large payloads out of the request; it holds up to 50 MB)."""
    total = payload_bytes(RunInput(plan=plan, input=run_input))
    if total <= (STORE_LIMIT if stored else PAYLOAD_LIMIT):
        return
    given = payload_bytes(run_input)
    if stored:
        raise InputTooLarge(
            f"the run's workflow input is {megabytes(total)} (run input from {source}: "
            f"{megabytes(given)}); the payload store takes payloads up to "
            f"{megabytes(STORE_LIMIT)}.\n"
            "hint: pass large documents by reference — a URL or a path the agents can read"
        )
    raise InputTooLarge(
        f"the run's workflow input is {megabytes(total)} (run input from {source}: "
        f"{megabytes(given)}, compiled plan: {megabytes(max(total - given, 0))}); Temporal "
        f"refuses a payload over {megabytes(PAYLOAD_LIMIT)} (its default blob size limit; "
        f"gRPC refuses messages over {megabytes(GRPC_LIMIT)}).\n"
        "hint: set a payload store (PODIUM_PAYLOAD_STORE=s3://bucket or file:/dir, on "
        "clients and workers; `podium dev` uses .podium/payloads) so large payloads stay "
        "out of the history, or pass large documents by reference (a URL or a path the "
        "agents can read)"
    )
