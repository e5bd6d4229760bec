"""The Grafana dashboard shipped in dashboards/podium.json, against a real Prometheus
(Debian's ``prometheus`` package) scraping a real worker process: after runs that show
every signal (a contract repair, a refine sent back then accepted, a person's rejection,
eval scores), every query of every panel returns data.

Runs use the dev server's isolated namespace and their own worker process, as in
tests/test_metrics.py.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from podium.starters import eval_scores
from podium.starters.devserver import free_port, stop_process
from podium.workflows.eval_scores import EvalScore, EvalScores

from tests.conftest import ISOLATED_NAMESPACE, ROOT
from tests.support.accuracy_runs import run_probe
from tests.support.polling import eventually, eventually_sync
from tests.support.worker_process import start_worker

DASHBOARD = ROOT / "dashboards" / "podium.json"
LAYERS = ["Agents", "Workflows", "Costs per workflow"]
"""The seed's three monitoring layers, one row each, in this order."""
VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$spec": ".*", "$agent": ".*"}
"""What Grafana would put in the queries: the time range, and "All" for each variable."""
SPEC = "dashboard_probe"
SUMMARISER = 'spec="dashboard_probe", agent="summariser"'
REVIEW = 'spec="dashboard_probe", agent="writer", reviewer="critic"'
SIGNALS = (
    f'podium_contract_failures{{{SUMMARISER}, error_type="OutputSchemaError"}}',
    f"podium_contract_repairs{{{SUMMARISER}}}",
    f'podium_review_verdicts{{{REVIEW}, verdict="rejected"}}',
    f'podium_review_verdicts{{{REVIEW}, verdict="accepted"}}',
    f'podium_human_decisions{{{SUMMARISER}, outcome="rejected"}}',
    'podium_eval_score_count{agent="writer", suite="probe"}',
)
"""The accuracy series the probe runs must have counted, labelled as the docs say."""


def prometheus_binary() -> str:
    """Debian's Prometheus; without it the test is skipped here, and fails in CI."""
    found = shutil.which("prometheus")
    if found:
        return found
    message = (
        "Prometheus is needed for the dashboard test: apt-get install -y prometheus "
        "(make test and .ci/run install it)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A Prometheus on a free loopback port scraping a worker's metrics port every
    second: (its base URL, the metrics port a worker must serve on)."""
    binary = prometheus_binary()
    port, metrics_port = free_port(), free_port()
    config = tmp_path / "prometheus.yml"
    scrape = {"targets": [f"127.0.0.1:{metrics_port}"]}
    config.write_text(
        json.dumps(  # (YAML is a superset of JSON)
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [{"job_name": "podium-worker", "static_configs": [scrape]}],
            }
        )
    )
    log = (tmp_path / "prometheus.log").open("ab")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, (tmp_path / "prometheus.log").read_text()
            try:
                return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        eventually_sync(ready, "Prometheus to be ready", timeout=30)
        yield url, metrics_port
    finally:
        stop_process(process)


def targets(dashboard: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(panel title, target) of every query in the dashboard."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target


def substituted(expr: str) -> str:
    for name in sorted(VARIABLES, key=len, reverse=True):  # $__range before $__rate…
        expr = expr.replace(name, VARIABLES[name])
    assert "$" not in expr, f"a variable the test does not know: {expr}"
    return expr


async def answers(api: httpx.AsyncClient, target: dict[str, Any]) -> bool:
    """Whether the query returns a series with a number (not NaN) now, or in the last
    five minutes for a graph's range query."""
    expr = substituted(target["expr"])
    if target.get("instant"):
        response = await api.get("/api/v1/query", params={"query": expr})
    else:
        now = time.time()
        params = {"query": expr, "start": now - 300, "end": now, "step": 2}
        response = await api.get("/api/v1/query_range", params=params)
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body.get('error')}"  # it parses
    values = []
    for series in body["data"]["result"]:
        values += [series["value"]] if "value" in series else series["values"]
    return any(math.isfinite(float(value)) for _, value in values)


async def value(api: httpx.AsyncClient, expr: str) -> float:
    body = (await api.get("/api/v1/query", params={"query": expr})).json()
    return sum(float(series["value"][1]) for series in body["data"]["result"])


def test_the_dashboard_has_the_seeds_three_layers_and_one_datasource():
    dashboard = json.loads(DASHBOARD.read_text())
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert [title.split(":")[0] for title in rows] == LAYERS
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], panel["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    accuracy = " ".join(t["expr"] for title, t in targets(dashboard) if "Accuracy" in title)
    for metric in ("contract_failures", "contract_repairs", "review_verdicts", "human_decisions"):
        assert f"podium_{metric}" in accuracy
    assert "podium_eval_score" in accuracy


async def test_every_dashboard_query_returns_data_from_a_real_prometheus(
    prometheus, isolated_client, address, write_spec, tmp_path
):
    url, metrics_port = prometheus
    dashboard = json.loads(DASHBOARD.read_text())
    queries = list(targets(dashboard))
    worker = start_worker(
        address,
        tmp_path / "worker.log",
        ISOLATED_NAMESPACE,
        "--metrics-port",
        str(metrics_port),
        env={"PODIUM_BACKLOG_INTERVAL": "0.5"},
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as api:
            # Two rounds: a counter's first sample shows no increase, the second round's do.
            # (A run's counters can be recorded twice when the server refuses a workflow
            # task's result because new events arrived meanwhile (UnhandledCommand) and the
            # code runs again — so "more than before", not an exact count.)
            seen = [0.0, 0.0]
            for round_no in (1, 2):
                before = list(seen)
                await run_probe(isolated_client, write_spec, SPEC)
                scores = [EvalScore(agent="writer", score=0.8, case="refund", scorer="critic")]
                recorded = EvalScores(suite="probe", spec=SPEC, scores=scores)
                await (await eval_scores.record(isolated_client, recorded)).result()

                async def scraped(before: list[float] = before) -> bool:
                    seen[:] = [
                        await value(api, f'podium_runs{{spec="{SPEC}"}}'),
                        await value(api, 'podium_eval_score_count{suite="probe"}'),
                    ]
                    return all(now > then for now, then in zip(seen, before, strict=True))

                what = f"Prometheus to scrape round {round_no} (runs and eval scores counted)"
                await eventually(scraped, what, 60, 0.5)

            for signal in SIGNALS:  # each under the agent it is about, once per round
                assert await value(api, signal) >= 2, signal

            missing: list[str] = []

            async def all_answer() -> bool:
                missing[:] = [
                    f"{title} / {t['refId']}: {substituted(t['expr'])}"
                    for title, t in queries
                    if not await answers(api, t)
                ]
                return not missing

            try:
                await eventually(all_answer, "every dashboard query to return data", 60, 1)
            except AssertionError:
                raise AssertionError("queries without data:\n" + "\n".join(missing)) from None
            expected = {"spec": SPEC, "agent": "summariser"}
            for name, one in expected.items():  # the variables' choices: label_values(...)
                query = next(v for v in dashboard["templating"]["list"] if v["name"] == name)
                metric = re.fullmatch(r"label_values\((\w+), \w+\)", query["definition"])
                assert metric, query["definition"]
                params = {"match[]": metric.group(1)}
                found = (await api.get(f"/api/v1/label/{name}/values", params=params)).json()
                assert one in found["data"], found
    finally:
        stop_process(worker)
