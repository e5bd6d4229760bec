"""Connecting to Temporal the same way everywhere (CLI, workers, starters, tests; I/O, so here)."""

from __future__ import annotations

from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import PayloadSettings
from podium.activities.telemetry import client_interceptors
from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

DEFAULT_ADDRESS = "127.0.0.1:7233"


async def connect(
    address: str | None = None,
    namespace: str | None = None,
    *,
    runtime: Runtime | None = None,
    payloads: PayloadSettings | None = None,
) -> Client:
    """Connect with ``temporalio.envconfig`` settings (TEMPORAL_ADDRESS, profiles, TLS, API key).

    ``address`` / ``namespace`` override them; the default is the local dev server.
    ``runtime`` carries the worker's metrics settings (workers built from this client
    report through it). When the environment turns tracing on (``PODIUM_TRACES``,
    ``OTEL_EXPORTER_OTLP_ENDPOINT``; see ``activities.telemetry``) the client, and every
    worker built from it, carries Temporal's tracing interceptor. ``payloads`` says where
    large payloads go and which keys encrypt them (default: ``PODIUM_PAYLOAD_STORE``,
    ``PODIUM_ENCRYPTION_KEYS``…, see ``activities.payloads.settings``); every worker
    built from the client uses the same.
    """
    config = dict(ClientConfig.load_client_connect_config())
    if address:
        config["target_host"] = address
    config.setdefault("target_host", DEFAULT_ADDRESS)
    if namespace:
        config["namespace"] = namespace
    return await Client.connect(
        **config,  # type: ignore[arg-type]
        data_converter=data_converter(payloads),
        interceptors=client_interceptors(),
        runtime=runtime,
    )
