"""A catalog's ``policy: spend`` — how much a tenant, market or spec may spend per day and
per month, across every run and worker — as the catalog writes it (``SpendEntry``) and as
the plan carries it (``SpendPolicy``; the interpreter evaluates ``per:`` for each run and
its agent calls reserve in the window's ledger: docs/spend-windows.md).

    policy:
      spend:
        per: input.market            # JMESPath over {input, spec, fairness}
        usd_per_day: 50
        usd_per_month: 1000
        tokens_per_day: 2000000
        timezone: Asia/Jakarta       # where days and months begin (default UTC)
        on_exhausted: wait           # wait for a person (default) | fail the step
        escalate_to: [finance]       # who answers the budget request (default: anyone)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from podium.activities.spend_contracts import SpendPolicy
from podium.compiler.entries import Strict
from podium.workflows.expressions import ExpressionError, fields_read
from pydantic import Field, field_validator, model_validator

if TYPE_CHECKING:
    from podium.compiler.problems import Reporter
    from podium.compiler.yamlfile import YamlDocument

SPEND_ROOTS = ("input", "spec", "fairness")
"""What ``per:`` may read: the run input, the spec's name, the run's fairness key."""
WINDOW_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SpendEntry(Strict):
    """Spend windows: what each key (a tenant, a market, a spec) may spend per day and
    month, counted over every run and worker; each agent call reserves its worst case
    first (docs/spend-windows.md)."""

    per: str = Field(
        description="Whose spend it is: JMESPath over {input, spec, fairness} — the run "
        "input, the spec's name, the run's fairness key (e.g. input.tenant, input.market, "
        "spec). Runs where it is null spend under the key 'none'.",
    )
    name: str | None = Field(
        None,
        description="The window's name (default: the catalog file's name without .yaml). "
        "Catalogs naming the same window share its figures.",
    )
    usd_per_day: float | None = Field(None, gt=0, description="Most USD a key spends a day.")
    usd_per_month: float | None = Field(
        None, gt=0, description="Most USD a key spends a calendar month."
    )
    tokens_per_day: int | None = Field(None, gt=0, description="Most tokens a key uses a day.")
    timezone: str = Field(
        "UTC", description="Where a day and a month begin: an IANA name, e.g. Asia/Jakarta."
    )
    on_exhausted: Literal["wait", "fail"] = Field(
        "wait",
        description="A call that would pass a cap: wait (a budget request for a person, who "
        "raises the cap, lets the call go over, or aborts; or until the period ends) or fail "
        "the step (SpendWindowExhausted).",
    )
    escalate_to: list[str] = Field(
        default_factory=list, description="Who may answer the budget request (empty: anyone)."
    )

    @field_validator("per")
    @classmethod
    def _per(cls, value: str) -> str:
        try:
            roots, _ = fields_read(value, ())
        except ExpressionError as exc:
            raise ValueError(str(exc)) from None
        unknown = sorted(roots - set(SPEND_ROOTS))
        if unknown:
            raise ValueError(
                f"per: {value!r} reads {', '.join(unknown)}; it may read only "
                f"{', '.join(SPEND_ROOTS)} (e.g. input.tenant, spec)"
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not WINDOW_NAME.match(value):
            raise ValueError(f"{value!r} is not a window name: letters, digits, '_', '-', '.'")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Asia/Jakarta, "
                "Asia/Singapore or UTC"
            ) from None
        return value

    @model_validator(mode="after")
    def _some_cap(self) -> SpendEntry:
        if self.usd_per_day is None and self.usd_per_month is None and not self.tokens_per_day:
            raise ValueError("a spend window needs usd_per_day, usd_per_month or tokens_per_day")
        return self


def spend_policies(
    report: Reporter, spec_doc: YamlDocument, entries: list[tuple[SpendEntry | None, YamlDocument]]
) -> list[SpendPolicy]:
    """The spend windows of the spec's catalogs, as the plan carries them. Two catalogs
    naming the same window differently is a problem: they would share its figures."""
    found: dict[str, tuple[SpendPolicy, YamlDocument]] = {}
    for entry, doc in entries:
        if entry is None:
            continue
        name = entry.name or doc.path.stem
        window = SpendPolicy(**entry.model_dump(exclude={"name"}), name=name, catalog=doc.path.name)
        seen = found.get(name)
        if seen is None:
            found[name] = (window, doc)
            continue
        if seen[0].model_dump(exclude={"catalog"}) != window.model_dump(exclude={"catalog"}):
            inline = doc.path == spec_doc.path
            report.problem(
                doc,
                ("agents", "policy", "spend") if inline else ("policy", "spend"),
                f"spend window {name!r} is declared differently in {seen[1].path.name} and "
                f"{doc.path.name}; catalogs naming one window share its figures, so they must "
                "agree on it",
                "give one of them another name:, or make them the same",
            )
    return [window for window, _ in found.values()]
