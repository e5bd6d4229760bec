"""Connecting to Temporal the same way everywhere (CLI, workers, starters, tests; I/O, so here)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

DEFAULT_ADDRESS = "127.0.0.1:7233"


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """Connect with ``temporalio.envconfig`` settings (TEMPORAL_ADDRESS, profiles, TLS, API key).

    ``address`` / ``namespace`` override them; the default is the local dev server.
    """
    config = dict(ClientConfig.load_client_connect_config())
    if address:
        config["target_host"] = address
    config.setdefault("target_host", DEFAULT_ADDRESS)
    if namespace:
        config["namespace"] = namespace
    return await Client.connect(**config, data_converter=pydantic_data_converter)  # type: ignore[arg-type]
