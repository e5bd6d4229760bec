"""docker-compose.yml cannot run here (no Docker engine); keep it consistent with the code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from podium.starters.devserver import dev_server_args
from podium.workers.main import parse_args as worker_args
from podium.workers.worker import providers_from_catalogs

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


CHECKED_FLAGS = {"--search-attribute", "--dynamic-config-value"}
"""The kinds of server flag `podium dev` passes that this file knows how to find in compose."""


def podium_dev_flags(kind: str) -> list[str]:
    """The values of every ``kind`` flag `podium dev` gives its server."""
    flags = dev_server_args()
    pairs = list(zip(flags[::2], flags[1::2], strict=True))  # each flag takes one value
    unknown = {flag for flag, _ in pairs} - CHECKED_FLAGS
    assert not unknown, (
        f"`podium dev` passes {sorted(unknown)} to its server: set the same in "
        "docker-compose.yml and teach this test where to find it"
    )
    return [value for flag, value in pairs if flag == kind]


def compose_dynamic_config() -> dict[str, Any]:
    """The dynamic config file the compose server reads, found through its volume."""
    server = SERVICES["temporal"]
    wanted = PurePosixPath(server["environment"]["DYNAMIC_CONFIG_FILE_PATH"])
    for volume in server["volumes"]:
        host, mount = volume.split(":")[:2]
        if wanted.is_relative_to(mount):
            return yaml.safe_load((ROOT / host / wanted.relative_to(mount)).read_text())
    raise AssertionError(f"no volume of the temporal service holds {wanted}")


def host_path(service: str, container_path: str) -> Path:
    """Where ``container_path`` of a compose service comes from in the repository,
    found through the service's bind mounts."""
    wanted = PurePosixPath(container_path)
    for volume in SERVICES[service].get("volumes", []):
        host, mount = volume.split(":")[:2]
        if host.startswith(".") and wanted.is_relative_to(mount):
            return ROOT / host / wanted.relative_to(mount)
    raise AssertionError(f"no bind mount of the {service} service holds {container_path}")


def prometheus_config_path() -> Path:
    """The Prometheus config file the prometheus service is started with."""
    flags = [
        flag for flag in SERVICES["prometheus"]["command"] if flag.startswith("--config.file=")
    ]
    assert len(flags) == 1, "the prometheus service names its config file with --config.file"
    return host_path("prometheus", flags[0].split("=", 1)[1])


def grafana_provisioning(kind: str) -> list[dict[str, Any]]:
    """Every provisioning file of one kind (datasources, dashboards) Grafana reads."""
    folder = host_path("grafana", f"/etc/grafana/provisioning/{kind}")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    assert files, f"no Grafana {kind} provisioning in {folder}"
    return [yaml.safe_load(file.read_text()) for file in files]


def pinned(image: str) -> bool:
    """Whether an image names a version (not `latest`, not untagged)."""
    tag = image.rpartition(":")[2] if ":" in image else ""
    return bool(re.fullmatch(r"v?\d+\.\d+\.\d+", tag))


def test_services_and_ports_match_podium_dev():
    expected = {"postgresql", "temporal-schema", "temporal", "temporal-setup", "temporal-ui"}
    assert expected | {"worker"} <= set(SERVICES)
    assert "7233:7233" in SERVICES["temporal"]["ports"]
    assert "8233:8080" in SERVICES["temporal-ui"]["ports"]  # `podium dev` serves the UI on 8233
    assert SERVICES["temporal"]["environment"]["DB"].startswith("postgres")


def test_the_current_server_images_with_a_schema_step():
    images = {name: service.get("image", "") for name, service in SERVICES.items()}
    assert not [i for i in images.values() if "auto-setup" in i], "auto-setup is deprecated"
    assert images["temporal"].startswith("temporalio/server:")
    tag = images["temporal"].split(":")[1]
    for tool in ("temporal-schema", "temporal-setup"):
        assert images[tool] == f"temporalio/admin-tools:{tag}"  # the server's own version
    schema = " ".join(SERVICES["temporal-schema"]["command"])
    for db, schemas in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        assert f"--db {db} setup-schema -v 0.0" in schema
        assert (
            f"--db {db} update-schema -d /etc/temporal/schema/postgresql/v12/{schemas}/" in schema
        )
    waits = SERVICES["temporal"]["depends_on"]["temporal-schema"]
    assert waits["condition"] == "service_completed_successfully"


def test_every_dynamic_config_value_of_podium_dev_is_set_in_the_compose_server():
    config = compose_dynamic_config()
    for setting in podium_dev_flags("--dynamic-config-value"):
        key, value = setting.split("=", 1)
        assert key in config, f"{key} (set by `podium dev`) is missing from the compose stack"
        assert config[key] == [{"value": yaml.safe_load(value), "constraints": {}}], (
            f"{key}: the compose stack must set {value} for every namespace and task queue"
        )


def test_search_attributes_are_the_ones_podium_registers():
    expected = set(podium_dev_flags("--search-attribute"))
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


def test_every_worker_shares_one_postgresql_memory_store_the_schema_step_creates():
    url = SERVICES["worker"]["environment"]["PODIUM_MEMORY_URL"]
    found = re.fullmatch(r"postgresql://(\w+):(\w+)@postgresql:5432/(\w+)", url)
    assert found, url
    user, password, database = found.groups()
    postgres = SERVICES["postgresql"]["environment"]
    assert (user, password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
    assert f"--db {database} create" in " ".join(SERVICES["temporal-schema"]["command"])
    assert '".[postgres]"' in (ROOT / "Dockerfile").read_text()  # psycopg in the image


def test_prometheus_scrapes_every_worker_on_the_port_it_serves_metrics_on():
    worker = worker_args(SERVICES["worker"]["command"][1:])  # as `podium worker` parses them
    assert worker.metrics_port is not None, "the compose workers serve no metrics"
    assert worker.metrics_host == "0.0.0.0", "metrics bound to the worker's loopback only"
    config = yaml.safe_load(prometheus_config_path().read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert "podium-worker" in jobs, sorted(jobs)
    # one DNS name for every replica of `--scale worker=N`, on the workers' metrics port
    (discovery,) = jobs["podium-worker"]["dns_sd_configs"]
    assert discovery["names"] == ["worker"] and "worker" in SERVICES
    assert discovery["type"] == "A"
    assert discovery["port"] == worker.metrics_port
    prometheus = SERVICES["prometheus"]
    assert prometheus["image"].startswith("prom/prometheus:") and pinned(prometheus["image"])
    assert "9090:9090" in prometheus["ports"]


def test_promtool_accepts_the_prometheus_config():
    promtool = shutil.which("promtool")  # from Debian's prometheus (make system)
    if promtool is None:
        pytest.skip("promtool is not installed: apt-get install -y prometheus")
    checked = subprocess.run(
        [promtool, "check", "config", str(prometheus_config_path())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_grafana_is_provisioned_with_the_dashboard_and_the_data_source_it_binds_to():
    grafana = SERVICES["grafana"]
    assert grafana["image"].startswith("grafana/grafana:") and pinned(grafana["image"])
    assert "3000:3000" in grafana["ports"]
    dashboard_file = ROOT / "dashboards" / "podium.json"
    dashboard = json.loads(dashboard_file.read_text())
    # the dashboard provider's folder is the repository's dashboards/ folder
    providers = [p for f in grafana_provisioning("dashboards") for p in f["providers"]]
    folders = {host_path("grafana", p["options"]["path"]).resolve() for p in providers}
    assert folders == {dashboard_file.parent}
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert host_path("grafana", home).resolve() == dashboard_file
    # its panels ask the `datasource` variable, which picks the default source of its type
    (variable,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    panel_sources = {
        json.dumps(p.get("datasource")) for p in dashboard["panels"] if p["type"] != "row"
    }
    assert panel_sources == {
        json.dumps({"type": variable["query"], "uid": f"${{{variable['name']}}}"})
    }
    sources = [s for f in grafana_provisioning("datasources") for s in f["datasources"]]
    (source,) = [s for s in sources if s["type"] == variable["query"]]
    assert source["isDefault"] is True
    (published,) = SERVICES["prometheus"]["ports"]
    port = published.rpartition(":")[2]  # where Prometheus listens in its container
    assert source["url"] == f"http://prometheus:{port}"  # the service, inside the network
    # Grafana's $__rate_interval reckons with the scrape interval it is told
    config = yaml.safe_load(prometheus_config_path().read_text())
    assert source["jsonData"]["timeInterval"] == config["global"]["scrape_interval"]
