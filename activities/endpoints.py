"""Deployment settings of providers: the worker's own catalog wins, ``${VAR}`` expanded here.

A plan (compiled by ``podium run``) says what each agent is: model, instructions, schema,
retries, limits. *Where* a provider is reached and *which variable* holds its key are the
deployment's business, so the worker decides them at call time:

- ``configure(providers)`` — called once by ``podium worker`` at start with the providers
  its ``--catalog`` files declare. For a provider of the same name, the worker's
  ``DEPLOYMENT_FIELDS`` replace the plan's.
- ``resolve(provider)`` — called by ``run_agent`` before each call: the provider with the
  worker's deployment settings and its ``base_url`` expanded from the worker's
  environment (``${VAR}``, ``${VAR:-default}``; see ``activities.env_template``).

The plan keeps the unexpanded text, so no endpoint of the client's machine enters the
run's history. A ``${VAR}`` without a default whose variable is unset on the worker fails
the call with the permanent ``ProviderNotConfigured``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

import httpx
from podium.activities import env_template
from podium.activities.contracts import AgentCall, ProviderConfig
from podium.activities.errors import ProviderNotConfigured
from podium.activities.providers.reply import host_of

logger = logging.getLogger("podium.worker")

DEPLOYMENT_FIELDS = ("base_url", "api_key_env", "structured_output")
"""What a worker's catalog overrides. ``structured_output`` goes with the endpoint: it is
what the server software there accepts (llama.cpp refuses ``json_schema``).
``requests_per_second``/``max_concurrency`` already configure the worker's own task-queue
worker; the token limiter's settings and the circuit breaker stay the plan's."""

_own: dict[str, ProviderConfig] = {}
"""Providers this worker process's catalogs declare (HTTP kinds only), by name."""


def configure(providers: Iterable[ProviderConfig]) -> None:
    """Remember this worker's own providers; log once per provider what it will override.

    Calling it again replaces the previous configuration (``configure([])`` forgets it).
    """
    _own.clear()
    for provider in providers:
        if provider.kind != "openai":
            continue
        _own[provider.name] = provider
        logger.info(
            "provider %r: this worker's catalog sets its endpoint (%s), key variable (%s) and "
            "structured_output (%s); they replace the values in every run's plan",
            provider.name,
            describe(provider.base_url),
            provider.api_key_env or "none",
            provider.structured_output,
        )


def overridden() -> list[str]:
    """Names of the providers whose deployment settings this worker overrides."""
    return sorted(_own)


def describe(base_url: str | None) -> str:
    """A base URL fit for a log line: the template as written, else only ``host:port``."""
    if not base_url:
        return "no base_url"
    return base_url if env_template.is_template(base_url) else host_of(base_url)


def resolve(provider: ProviderConfig, env: Mapping[str, str] | None = None) -> ProviderConfig:
    """``provider`` as this worker calls it: its own deployment settings (when its catalog
    declares the provider) and ``base_url`` expanded from ``env`` (default: this
    process's environment).

    Raises ``ProviderNotConfigured`` naming the provider, the field and the variable when
    a ``${VAR}`` has no default and ``VAR`` is unset, or the result is not an http(s) URL.
    """
    if provider.kind != "openai":
        return provider
    own = _own.get(provider.name)
    update = {name: getattr(own, name) for name in DEPLOYMENT_FIELDS} if own else {}
    source = "this worker's catalog" if own else "the run's plan (compiled by podium run)"
    base_url = update.get("base_url", provider.base_url)
    if env_template.is_template(base_url):
        assert base_url is not None
        update["base_url"] = _expand(provider.name, base_url, source, env)
    if not update:
        return provider
    resolved = provider.model_copy(update=update)
    if resolved.base_url and not _is_http_url(resolved.base_url):
        raise ProviderNotConfigured(
            f"provider {provider.name!r}: base_url {describe(base_url)} (from {source}) is "
            "not an http:// or https:// URL on this worker; fix the catalog or the variable"
        )
    return resolved


def _is_http_url(text: str) -> bool:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def for_call(call: AgentCall) -> AgentCall:
    """``call`` with its agent's provider resolved (``resolve``); the same object when
    nothing changes."""
    provider = resolve(call.agent.provider)
    if provider is call.agent.provider:
        return call
    return call.model_copy(update={"agent": call.agent.model_copy(update={"provider": provider})})


def _expand(name: str, base_url: str, source: str, env: Mapping[str, str] | None) -> str:
    try:
        return env_template.expand(base_url, os.environ if env is None else env)
    except env_template.UnsetVariable as exc:
        raise ProviderNotConfigured(
            f"provider {name!r}: base_url {base_url!r} (from {source}) needs environment "
            f"variable {exc.name} on the worker, and it is not set; set {exc.name} where the "
            f"worker runs, or give it a default in the catalog: ${{{exc.name}:-http://…}}"
        ) from None
    except ValueError as exc:  # a plan compiled by an older Podium, or written by hand
        raise ProviderNotConfigured(f"provider {name!r}: base_url {base_url!r}: {exc}") from None
