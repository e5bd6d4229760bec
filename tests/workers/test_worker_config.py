"""A worker refuses what it cannot serve, naming what is missing."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from podium.activities.contracts import ProviderConfig
from podium.workers.config import kind_warnings
from podium.workers.worker import ConfigurationError, usable_providers
from podium.workflows.kinds.base import register, unregister

from tests.conftest import ROOT

ACME = ProviderConfig(
    name="acme", kind="openai", base_url="http://127.0.0.1:9/v1", api_key_env="ACME_KEY"
)


def test_required_provider_without_its_key_is_refused(monkeypatch):
    monkeypatch.delenv("ACME_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ACME_KEY is not set"):
        usable_providers([ACME], ["acme"])


def test_optional_provider_without_its_key_is_skipped_with_a_warning(monkeypatch):
    monkeypatch.delenv("ACME_KEY", raising=False)
    usable, warnings = usable_providers([ACME], [])
    assert usable == [] and "ACME_KEY" in warnings[0] and "podium-llm-acme" in warnings[0]
    monkeypatch.setenv("ACME_KEY", "k")
    assert usable_providers([ACME], ["acme"])[0] == [ACME]


def run_worker(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "podium.workers", *args, "--address", "127.0.0.1:1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_worker_process_exits_with_a_clear_message(tmp_path):
    catalog = tmp_path / "agents.yaml"
    catalog.write_text(
        "providers:\n  acme: {base_url: 'http://127.0.0.1:9/v1', api_key_env: ACME_KEY}\n"
    )
    proc = run_worker("--catalog", str(catalog), "--provider", "acme")
    assert proc.returncode == 2
    assert "ACME_KEY is not set" in proc.stderr and "--provider acme" in proc.stderr
    proc = run_worker("--catalog", str(catalog), "--provider", "other")
    assert proc.returncode == 2 and "provider 'other' is not declared" in proc.stderr


def test_a_users_kind_that_reads_the_clock_is_named_when_a_worker_starts(tmp_path, monkeypatch):
    module = tmp_path / "clocky_kind.py"
    module.write_text(
        "import time\n"
        "from podium.workflows.kinds.base import NodeBase, StepKind\n\n"
        "class Clocky(StepKind):\n"
        "    name = 'clocky'\n"
        "    node = NodeBase\n\n"
        "    async def execute(self, node, frame, ctx):\n"
        "        return time.time()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    clocky = importlib.import_module("clocky_kind")
    register(clocky.Clocky())
    try:
        [warning] = [w for w in kind_warnings() if "'clocky'" in w]
    finally:
        unregister("clocky")
    assert warning.startswith("step kind 'clocky' may not replay the same on every worker: ")
    assert "clocky_kind.py:9: time.time — use workflow.time()" in warning
