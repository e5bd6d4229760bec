"""``podium resolve RUN REQUEST …``: decide a failed step, an exhausted budget or a missed
deadline (``podium approve`` answers approvals)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from podium.starters.humans import decide, default_user
from podium.workflows.humans import BudgetRaise, DecisionInput
from temporalio.client import Client


async def main(
    client: Client | None,
    run_id: str,
    request_id: str,
    *,
    user: str | None = None,
    comment: str = "",
    retry: bool = False,
    supply: str | None = None,
    skip: bool = False,
    abort: bool = False,
    inputs: str | None = None,
    go_on: bool = False,
    raise_usd: float | None = None,
    raise_tokens: int | None = None,
    address: str | None = None,
) -> int:
    """Send the decision the flags describe (exactly one choice); 2 if the flags are wrong."""
    try:
        decision = resolve_input(
            request_id,
            user or default_user(),
            comment,
            retry=retry,
            supply=supply,
            skip=skip,
            abort=abort,
            inputs=inputs,
            go_on=go_on,
            raise_usd=raise_usd,
            raise_tokens=raise_tokens,
        )
    except ValueError as exc:
        print(f"podium resolve: {exc}", file=sys.stderr)
        return 2
    return await decide(client, run_id, decision, address)


def resolve_input(
    request_id: str,
    by: str,
    comment: str,
    *,
    retry: bool,
    supply: str | None,
    skip: bool,
    abort: bool,
    inputs: str | None,
    go_on: bool = False,
    raise_usd: float | None = None,
    raise_tokens: int | None = None,
) -> DecisionInput:
    """The decision ``podium resolve`` sends; ValueError if the flags are wrong.

    Failed steps: --retry / --supply / --skip / --abort. Budget requests: --raise-usd /
    --raise-tokens / --continue / --abort. Missed deadlines: --continue / --skip / --abort.
    """
    raising = raise_usd is not None or raise_tokens is not None
    chosen = [
        name
        for name, on in (
            ("retry", retry),
            ("supply", supply is not None),
            ("skip", skip),
            ("abort", abort),
            ("continue", go_on),
            ("raise", raising),
        )
        if on
    ]
    if len(chosen) != 1:
        raise ValueError(
            "choose exactly one of --retry, --supply FILE, --skip, --abort (failed step); "
            "--raise-usd/--raise-tokens, --continue, --abort (budget); "
            "--continue, --skip, --abort (missed deadline); --supply FILE (a question to a person)"
        )
    output: Any = None
    if supply is not None:
        try:
            output = json.loads(Path(supply).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--supply {supply}: cannot read JSON: {exc}") from None
    edited = None
    if inputs is not None:
        try:
            edited = json.loads(inputs)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--inputs is not valid JSON: {exc.msg}") from None
        if not isinstance(edited, dict) or not retry:
            raise ValueError("--inputs takes a JSON object and goes with --retry")
    return DecisionInput(
        request_id=request_id,
        outcome=chosen[0],
        by=by,  # type: ignore[arg-type]
        comment=comment,
        output=output,
        inputs=edited,
        budget=BudgetRaise(usd=raise_usd, tokens=raise_tokens) if raising else None,
    )
