"""The shipped eval suites pass offline, as `podium eval` runs them: every case a real run
on the test server's worker, the results in the table, the JSON and the JUnit XML."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from podium.starters import eval_scores
from podium.starters.commands import eval as eval_command
from podium.workflows.eval_scores import WORKFLOW_NAME as SCORES
from podium.workflows.search_attributes import SPEC

from tests.conftest import ROOT
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("worker")
PODIUM = str(Path(sys.executable).parent / "podium")


async def test_support_triage_suite_passes_with_its_checks_and_judge(client, tmp_path):
    out = io.StringIO()
    code = await eval_command.main(
        client,
        suite=str(ROOT / "evals" / "support_triage.yaml"),
        json_path=str(tmp_path / "results.json"),
        junit_path=str(tmp_path / "junit.xml"),
        out=out,
    )
    text = out.getvalue()
    assert code == 0, text
    assert "4 passed, 0 failed" in text
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["format"] == "podium.eval-results/1" and results["suite"] == "support_triage"
    cases = {case["name"]: case for case in results["cases"]}
    billing = cases["a double charge goes to billing"]
    assert billing["passed"] and billing["status"] == "completed"
    assert billing["run_id"].startswith("support_triage-eval-")
    assert len(billing["checks"]) == 11 and all(c["passed"] for c in billing["checks"])
    [exact] = [c for c in billing["checks"] if c["what"].startswith("agents called exactly")]
    assert exact["detail"] == (
        "called: triage → billing-specialist → reply-writer → reply-reviewer → reply-writer "
        "→ reply-reviewer"
    )
    [judge] = billing["judges"]
    assert judge["agent"] == "reply-judge" and judge["about"] == "reply-writer"
    assert judge["score"] == 0.9 and "apologises" in judge["reason"] and judge["passed"]
    assert 0 < billing["cost_usd"] <= 0.001 and billing["tokens"] > 0
    assert billing["judge_cost_usd"] > 0
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "0"
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == [case["name"] for case in results["cases"]]
    assert not list(suite.iter("failure")) and not list(suite.iter("error"))
    assert billing["agents"] == ["triage", "billing-specialist", "reply-writer", "reply-reviewer"]

    async def recorded() -> dict[str, list[float]] | None:  # by a worker, for metrics and stats
        query = f"WorkflowType = '{SCORES}' AND {SPEC.name} = 'support_triage'"
        found = await eval_scores.read(client, query)
        return found if 0.9 in found.get("reply-writer", []) else None

    scores = await eventually(recorded, "the judge's score recorded for reply-writer")
    assert 1.0 in scores["triage"] and 1.0 in scores["reply-writer"]  # every check held


async def test_asean_compliance_suite_passes_through_the_command_line(address, tmp_path):
    # a real `podium eval` process; the in-process worker serves its runs
    # (async: the worker shares this event loop, so don't block it)
    environment = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY",)}
    proc = await asyncio.create_subprocess_exec(
        PODIUM,
        "eval",
        "evals/asean_compliance.yaml",
        "--address",
        address,
        "--concurrency",
        "2",
        "--junit",
        str(tmp_path / "junit.xml"),
        "--json",
        str(tmp_path / "results.json"),
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    out = stdout.decode()
    assert proc.returncode == 0, out + stderr.decode()
    for name in (
        "cross-border backups are high risk in ID and VN",
        "personal data without transfers is a consent notice in SG and MY",
        "anonymous counts raise nothing in TH",
    ):
        assert f"passed {name}" in out  # a line per case as it finishes (not a terminal)
    assert "3 passed, 0 failed" in out
    results = json.loads((tmp_path / "results.json").read_text())
    high = results["cases"][0]
    [judge] = high["judges"]
    assert judge["score"] == 0.95 and judge["about"] == "compliance-merger"
    [calls] = [c for c in high["checks"] if c["what"].startswith("agents called exactly")]
    assert calls["detail"].endswith("compliance-vn → compliance-ph → compliance-merger")
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("tests") == "3" and junit.get("failures") == "0"
