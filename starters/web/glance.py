"""``/console/glance``: how runs went over the last hour, day or week — per spec, per agent
and per market: runs, success rate, p50/p95 duration, cost, who waits on people, failure
classes; and each agent's accuracy (invalid answers, repairs, reviews, people's
rejections, eval scores). The figures are ``podium stats``' (``starters.run_stats``), for
runs started in the window (``?over=hour|day|week``, default a day); any signed-in person
may see them.

Markets come from the ``PodiumMarket`` search attribute (``start_run`` sets it from the run
input's ``market``): the page shows the per-market table only when some run of the period
names one (none do on a namespace without the attribute).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from podium.starters import eval_scores
from podium.starters.run_stats import Run, Stats, read_runs, spec_of, summarise, visibility_query
from podium.starters.web.auth import signed_in
from podium.starters.web.templating import render
from podium.workflows.eval_scores import WORKFLOW_NAME as SCORES_WORKFLOW
from podium.workflows.search_attributes import MARKET
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

WINDOWS = {"hour": 3600, "day": 86400, "week": 7 * 86400}
"""The periods the page can look back over (``?over=``), in seconds."""
DEFAULT_WINDOW = "day"


def routes() -> list[BaseRoute]:
    """The page's route (inside ``/console``)."""
    return [Route("/glance", glance, name="console_glance")]


async def glance(request: Request) -> Response:
    """Runs of the last hour, day or week: overall, per spec, per agent, per market."""
    signed_in(request)
    over = request.query_params.get("over", DEFAULT_WINDOW)
    if over not in WINDOWS:
        over = DEFAULT_WINDOW
    since = datetime.now(UTC) - timedelta(seconds=WINDOWS[over])
    client = request.app.state.client
    scores_query = visibility_query(None, since, SCORES_WORKFLOW)
    runs, scores = await asyncio.gather(
        read_runs(client, None, since), eval_scores.read(client, scores_query)
    )
    overall = summarise(None, since, runs, scores)
    markets = any(market_of(run) for run in runs)
    return render(
        request,
        "glance.html",
        over=over,
        windows=list(WINDOWS),
        overall=overall,
        by_spec=grouped(runs, spec_of, since),
        by_market=grouped(runs, lambda run: market_of(run) or "", since) if markets else [],
    )


def grouped(runs: list[Run], key: Callable[[Run], str], since: datetime) -> list[tuple[str, Stats]]:
    """``(value of key, its runs' Stats)`` per value, most runs first."""
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(key(run), []).append(run)
    figures = [(name, summarise(None, since, members)) for name, members in groups.items()]
    return sorted(figures, key=lambda pair: (-pair[1].runs, pair[0]))


def market_of(run: Run) -> str | None:
    """The run's market, from its ``PodiumMarket`` search attribute (None: it names none)."""
    return run[0].typed_search_attributes.get(MARKET) or None
