"""The catalog's ``policy: spend`` as the compiler reads it: what the plan carries, and a
clear problem (file, line, fix) for a block that cannot work."""

from __future__ import annotations

import re

import pytest
import yaml
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec

AGENTS = {"writer": {"model": "scripted"}}
SPEC = {"name": "s", "agents": "agents.yaml", "steps": [{"id": "a", "agent": "writer"}]}


def with_spend(spend: dict) -> dict:
    return {"policy": {"spend": spend}, "agents": AGENTS}


def test_the_plan_carries_the_window_named_after_its_catalog(write_spec):
    spend = {"per": "input.market", "usd_per_day": 50, "timezone": "Asia/Jakarta"}
    plan = compile_spec(write_spec(SPEC, with_spend(spend)))
    (window,) = plan.spend
    assert (window.name, window.per, window.usd_per_day, window.timezone) == (
        "agents",
        "input.market",
        50,
        "Asia/Jakarta",
    )
    assert (window.on_exhausted, window.catalog, window.usd_per_month) == (
        "wait",
        "agents.yaml",
        None,
    )
    assert compile_spec(write_spec(SPEC, {"agents": AGENTS})).spend == []


@pytest.mark.parametrize(
    ("spend", "message"),
    [
        ({"per": "steps.a.output", "usd_per_day": 1}, "it may read only input, spec, fairness"),
        ({"per": "input.[", "usd_per_day": 1}, "invalid JMESPath expression"),
        ({"per": "input.market"}, "needs usd_per_day, usd_per_month or tokens_per_day"),
        ({"per": "spec", "usd_per_day": 1, "timezone": "Asia/Djakarta"}, "unknown time zone"),
        ({"per": "spec", "usd_per_day": 0}, "greater than 0"),
        ({"per": "spec", "usd_per_day": 1, "on_exhausted": "pause"}, "'wait' or 'fail'"),
        ({"per": "spec", "usd_per_day": 1, "name": "a/b"}, "is not a window name"),
        ({"per": "spec", "usd_per_day": 1, "per_hour": 2}, "per_hour"),
    ],
)
def test_a_window_that_cannot_work_is_refused_where_it_is_written(write_spec, spend, message):
    path = write_spec(SPEC, with_spend(spend))
    with pytest.raises(CompileError) as info:
        compile_spec(path)
    text = str(info.value)
    assert message in text
    assert re.search(r"agents\.yaml:\d+: policy\.spend", text)  # the catalog's line


def test_two_catalogs_declaring_one_window_differently_are_refused(write_spec, tmp_path):
    other = {"policy": {"spend": {"per": "input.market", "usd_per_day": 9, "name": "agents"}}}
    (tmp_path / "more.yaml").write_text(
        yaml.safe_dump({**other, "agents": {"x": {"model": "scripted"}}})
    )
    spec = {**SPEC, "agents": ["agents.yaml", "more.yaml"]}
    path = write_spec(spec, with_spend({"per": "input.market", "usd_per_day": 5}))
    with pytest.raises(CompileError) as info:
        compile_spec(path)
    assert "spend window 'agents' is declared differently in agents.yaml and more.yaml" in str(
        info.value
    )
    same = {
        **other,
        "policy": {"spend": {"per": "input.market", "usd_per_day": 5, "name": "agents"}},
    }
    (tmp_path / "more.yaml").write_text(
        yaml.safe_dump({**same, "agents": {"x": {"model": "scripted"}}})
    )
    assert len(compile_spec(path).spend) == 1  # the same window twice: one
