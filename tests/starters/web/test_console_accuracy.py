"""The console's "At a glance" page shows how accurate each agent was: answers that failed
their contract and their repairs, refine reviews, people's rejections, eval scores."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from podium.starters import eval_scores
from podium.workflows.eval_scores import EvalScore, EvalScores

from tests.starters.web.test_console_glance import HEADER, cells, console_app
from tests.support.accuracy_runs import run_probe
from tests.support.asgi_server import serving
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")


def accuracy(page: str, agent: str) -> dict[str, str]:
    """The agent's row in the accuracy table (the page's last table)."""
    table = page[page.index("<h2>Accuracy by agent</h2>") :]
    return cells(table, agent)


async def test_each_agents_accuracy_at_a_glance(client, write_spec, tmp_path):
    await run_probe(client, write_spec, f"glance_accuracy_{uuid.uuid4().hex[:6]}")
    judged = f"judged_{uuid.uuid4().hex[:6]}"  # an agent only an eval scored
    scores = [EvalScore(agent=judged, score=0.25), EvalScore(agent=judged, score=0.75)]
    await (await eval_scores.record(client, EvalScores(suite="glance", scores=scores))).result()
    async with (
        serving(console_app(client, tmp_path)) as base,
        httpx.AsyncClient(base_url=base, headers={HEADER: "ann"}, timeout=60) as http,
    ):

        async def shown() -> str | None:
            page = (await http.get("/console/glance")).text
            listed = "<h2>Accuracy by agent</h2>" in page and f">{judged}</th>" in page
            return page if listed and ">summariser</th>" in page else None

        page = await eventually(shown, "the accuracy table with the probe's agents", 20, 0.3)
    summariser = accuracy(page, "summariser")
    # every probe run (this test's, and others' in the session): 1 invalid of 2 answers,
    # repaired, and qa rejected its summary
    runs = int(summariser["Invalid answers"].split()[0])
    assert runs >= 1
    assert summariser == {
        "Invalid answers": f"{runs} (50%)",
        "Repaired": f"{runs}/{runs}",
        "Reviews accepted": "-",
        "People rejected": f"{runs}/{runs}",
        "Eval score": "-",
    }
    writer = accuracy(page, "writer")
    assert writer["Reviews accepted"] == f"{runs}/{2 * runs}"  # the first draft went back
    assert accuracy(page, judged)["Eval score"] == "0.50 (2)"
    assert re.search(r"Invalid answers: answers that failed the agent's output contract", page)
