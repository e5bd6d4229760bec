"""docker-compose.yml cannot run here (no Docker engine); keep it consistent with the code."""

from __future__ import annotations

import re

import yaml
from podium.starters.devserver import dev_server_args
from podium.workers.worker import providers_from_catalogs

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_and_ports_match_podium_dev():
    assert {"postgresql", "temporal", "temporal-setup", "temporal-ui", "worker"} <= set(SERVICES)
    assert "7233:7233" in SERVICES["temporal"]["ports"]
    assert "8233:8080" in SERVICES["temporal-ui"]["ports"]  # `podium dev` serves the UI on 8233
    assert SERVICES["temporal"]["environment"]["DB"].startswith("postgres")


def test_search_attributes_are_the_ones_podium_registers():
    flags = dev_server_args()
    expected = {flags[i + 1] for i, f in enumerate(flags) if f == "--search-attribute"}
    script = " ".join(SERVICES["temporal-setup"]["command"])
    created = {f"{n}={t}" for n, t in re.findall(r"--name (\w+) --type (\w+)", script)}
    assert created == expected


def test_worker_runs_podium_worker_against_the_compose_server():
    worker = SERVICES["worker"]
    assert worker["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert worker["command"][0] == "worker"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["podium"]' in dockerfile
    for package in ("podium", "activities", "workflows", "workers", "starters", "agents"):
        assert f"COPY {package} {package}" in dockerfile


def test_every_provider_key_variable_reaches_the_worker():
    keys = {p.api_key_env for p in providers_from_catalogs([ROOT / "agents"]) if p.api_key_env}
    assert keys, "sample catalogs declare at least one keyed provider"
    assert keys <= set(SERVICES["worker"]["environment"])
