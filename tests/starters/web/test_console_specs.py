"""The builder's first page: the specs of the server's folder, each drawn as the plan the
compiler makes of it, and a spec the compiler refuses shown with its problems pinned on
the steps they name."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.settings import ConsoleSettings

from tests.support.asgi_server import serving

ROOT = Path(__file__).parents[3]
HEADER = "X-Test-User"


async def test_specs_are_drawn_and_a_refused_one_shows_where(client, tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(ROOT / "specs" / "deal_review.yaml", specs)
    text = (ROOT / "specs" / "deal_review.yaml").read_text()
    broken = text.replace("agent: risk-aggregator", "agent: nobody-we-know")
    assert broken != text
    (specs / "broken_deal.yaml").write_text(broken)
    shutil.copytree(ROOT / "agents", tmp_path / "agents")  # (the catalog the specs name)
    settings = ConsoleSettings(trusted_header=HEADER, secret="s" * 64)
    app = build_app(client, specs=specs, clients=Clients([]), console=settings)
    who = {HEADER: "ann"}
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        listed = await http.get("/console/specs", headers=who)
        assert "deal_review" in listed.text and "broken_deal" in listed.text
        assert "does not compile: 1 problem" in listed.text
        page = await http.get("/console/specs/deal_review", headers=who)
        assert page.status_code == 200
        for step in ("reviews", "financial", "legal", "technical", "risk", "signoff"):
            assert f'data-step="{step}"' in page.text
        refused = await http.get("/console/specs/broken_deal", headers=who)
        assert refused.status_code == 422
        assert "The compiler refuses this spec:" in refused.text
        assert 'data-step="risk"' in refused.text and "nobody-we-know" in refused.text
        assert (await http.get("/console/specs/nothing", headers=who)).status_code == 404
