"""Editor JSON Schemas and diagrams of specs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from podium.compiler import graph
from podium.compiler.graph import plan_graph, to_mermaid
from podium.compiler.schema import (
    CATALOG_SCHEMA_FILE,
    SPEC_SCHEMA_FILE,
    catalog_schema,
    spec_schema,
)
from podium.compiler.spec_compiler import compile_spec
from podium.compiler.yamlfile import SpecLoader
from podium.workflows.kinds.base import SHAPES, NodeBase, StepKind, register

from tests.conftest import ROOT

SPECS = sorted((ROOT / "specs").glob("*.yaml"))
CATALOGS = sorted((ROOT / "agents").glob("*.yaml"))


def load(path: Path):
    return yaml.load(path.read_text(), Loader=SpecLoader)  # noqa: S506 - a SafeLoader


def test_shipped_schemas_are_up_to_date():
    for name, schema in (
        (SPEC_SCHEMA_FILE, spec_schema()),
        (CATALOG_SCHEMA_FILE, catalog_schema()),
    ):
        shipped = json.loads((ROOT / "schema" / name).read_text())
        assert shipped == json.loads(json.dumps(schema)), f"run `podium schema` to refresh {name}"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_sample_spec_validates_against_the_schema(path):
    Draft202012Validator(spec_schema()).validate(load(path))


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_every_sample_catalog_validates_against_the_schema(path):
    Draft202012Validator(catalog_schema()).validate(load(path))


def test_schema_rejects_what_the_compiler_rejects():
    validator = Draft202012Validator(spec_schema())
    assert not validator.is_valid({"name": "x", "steps": [{"id": "a", "agnt": "w"}]})
    assert not validator.is_valid({"name": "x", "steps": []})
    assert validator.is_valid(
        {"name": "x", "steps": [{"id": "a", "agent": "w", "with": {"q": "input.q"}}]}
    )


def mermaid(name: str) -> str:
    return to_mermaid(plan_graph(compile_spec(ROOT / "specs" / f"{name}.yaml", offline=True)))


def test_mermaid_shows_parallel_branches_and_join():
    text = mermaid("deal_review")
    assert text.startswith("flowchart TD")
    assert 'n_reviews{{"reviews: parallel"}}' in text and 'n_reviews_join(("join all"))' in text
    for branch in ("financial", "legal", "technical"):
        assert f"n_reviews --> n_{branch}" in text and f"n_{branch} --> n_reviews_join" in text
    assert "tech-analyst (optional)" in text and "n_reviews_join --> n_risk" in text


def test_mermaid_shows_route_cases_and_refine_loop():
    text = mermaid("support_triage")
    for case in ("billing", "technical", "returns", "default"):
        assert f'-->|"{case}"|' in text
    assert '-->|"no, ≤ 3 rounds"| n_reply_reply_producer' in text


def test_mermaid_shows_map_and_sub_workflow(write_spec, tmp_path):
    text = mermaid("asean_compliance")
    assert "map over input.markets, ≤ 6 at once" in text and '-->|"each market"|' in text
    assert "capability compliance (market: vars.market)" in text
    (tmp_path / "child.yaml").write_text(
        "name: child\nsteps: [{id: a, agent: w}]\nagents: agents.yaml\n"
    )
    path = write_spec(
        {"name": "p", "agents": "agents.yaml", "steps": [{"id": "sub", "workflow": "child.yaml"}]},
        {"agents": {"w": {"model": "scripted"}}},
    )
    assert 'n_sub[["sub: sub-workflow child"]]' in to_mermaid(plan_graph(compile_spec(path)))


def test_graph_command_writes_a_png(tmp_path):
    out = tmp_path / "deal.png"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "podium"),
            "graph",
            "specs/deal_review.yaml",
            "--png",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("flowchart TD")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_every_shape_a_kind_may_have_is_drawn_and_others_are_refused():
    assert set(SHAPES) == set(graph._SHAPES)

    class Hexagon(StepKind):
        name = "hexagon"
        node = NodeBase
        shape = "hexagon"

    with pytest.raises(ValueError, match="shape 'hexagon' is not a box Podium draws; use one"):
        register(Hexagon())
