"""A worker's --catalog that cannot be used stops it with a clear message (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from podium.workers.worker import ConfigurationError, providers_from_catalogs

from tests.workers.test_worker_config import run_worker

BAD = {
    "yaml.yaml": ("providers: [\n", "yaml.yaml:2: not valid YAML"),
    "key.yaml": (
        "providers:\n  acme: {base_url: 'http://127.0.0.1:9/v1', retries: 3}\n",
        "key.yaml:2: providers.acme.retries",
    ),
    "template.yaml": (
        "providers:\n  acme:\n    base_url: '${ACME_URL'\n",
        "template.yaml:3: providers.acme.base_url: malformed ${…}",
    ),
    "list.yaml": ("- providers\n", "list.yaml:1: an agent catalog must be a mapping"),
}


def test_every_problem_of_the_worker_catalogs_is_listed_with_its_line(tmp_path):
    for name, (text, _) in BAD.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigurationError) as info:
        providers_from_catalogs([tmp_path, tmp_path / "missing.yaml"])
    message = str(info.value)
    for _, says in BAD.values():
        assert says in message
    assert "missing.yaml: agent catalog was not found" in message


def test_an_unreadable_file_is_named(tmp_path, monkeypatch):
    path = tmp_path / "agents.yaml"
    path.write_text("providers: {}\n")

    def denied(self: Path) -> bytes:  # tests run as root: chmod is no use
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ConfigurationError, match="cannot be read: permission denied"):
        providers_from_catalogs([path])


def test_the_worker_process_exits_2_without_a_traceback(tmp_path):
    for name, (text, says) in BAD.items():
        path = tmp_path / name
        path.write_text(text)
        proc = run_worker("--catalog", str(path))
        assert proc.returncode == 2, proc.stderr
        assert says in proc.stderr and "podium worker: " in proc.stderr
        assert "Traceback" not in proc.stderr
