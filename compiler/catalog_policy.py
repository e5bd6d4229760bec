"""The catalog's ``policy:`` — rules and limits every spec using the catalog follows,
hand-written or drafted by ``podium plan`` (checked by ``compiler.policy`` and
``compiler.size``)."""

from __future__ import annotations

from podium.compiler.entries import Strict
from podium.compiler.spend_windows import SpendEntry
from pydantic import Field

DEFAULT_MAX_STEPS = 300
DEFAULT_MAX_DEPTH = 8
DEFAULT_MAX_TEXT_CHARS = 20_000
DEFAULT_MAX_FAIRNESS_WEIGHT = 10.0


class PolicyEntry(Strict):
    """Rules every spec using this catalog must follow — hand-written or drafted by
    ``podium plan`` alike (the compiler refuses a spec that breaks one)."""

    max_budget_usd: float | None = Field(
        None, gt=0, description="A run's budget: (usd) must be set and at most this."
    )
    max_budget_tokens: int | None = Field(
        None, gt=0, description="A run's budget: (tokens) must be set and at most this."
    )
    approve_side_effects: bool = Field(
        False,
        description="A step that may call an agent with side_effects: true runs only after "
        "an approval step that comes before it in the plan (in its needs:, directly or "
        "through others, or earlier in its parallel branch) said yes — checked when the "
        "spec is compiled and again right before the step runs — unless its compensate: "
        "calls the agent the catalog pairs with it (undo:).",
    )
    approvers: list[str] | None = Field(
        None,
        description="Who may approve side effects: with approve_side_effects, an approval "
        "gates an effect only if everyone it may ask (escalations included) is listed "
        "here (e.g. [deal-desk, cfo]). Unset: any approval that names its approvers.",
    )
    webhook_hosts: list[str] | None = Field(
        None,
        description="Hosts a spec's notify: webhooks may reach (e.g. [hooks.example.com]); "
        "others are refused. A webhook is a side effect no approval can gate, so with "
        "approve_side_effects only these hosts are allowed (unset: none). Without either, "
        "any host, each listed as a side effect in podium plan's review.",
    )
    max_steps: int = Field(
        DEFAULT_MAX_STEPS,
        ge=1,
        description="Most steps in one spec, nested steps included.",
    )
    max_depth: int = Field(
        DEFAULT_MAX_DEPTH, ge=1, description="Deepest nesting of steps (a top-level step is 1)."
    )
    max_text_chars: int = Field(
        DEFAULT_MAX_TEXT_CHARS,
        ge=1,
        description="Longest text (a template, title, instruction) a spec may hold.",
    )
    highest_priority: int = Field(
        1,
        ge=1,
        le=5,
        description="The most urgent priority key a spec may choose (1 first … 5 last); "
        "people can still start a run with --priority.",
    )
    max_fairness_weight: float = Field(
        DEFAULT_MAX_FAIRNESS_WEIGHT,
        gt=0,
        description="The largest fairness weight a spec may choose.",
    )
    spend: SpendEntry | None = Field(
        None,
        description="Spend windows: what each tenant, market or spec (per:) may spend per day "
        "and month over every run, each call reserving its worst case first.",
    )
