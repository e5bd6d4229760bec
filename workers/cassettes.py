"""A worker that records or replays model and tool answers (``PODIUM_CASSETTE``): what
``podium worker`` does with the setting ``activities.cassette`` reads."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from podium.activities.cassette import from_environment
from podium.activities.contracts import ProviderConfig
from podium.activities.providers import PROVIDER_KINDS
from podium.activities.tools.run import run_tool
from podium.workers.worker import ConfigurationError, WorkerOptions


def apply_cassette(
    options: WorkerOptions,
    declared: list[ProviderConfig],
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """Make ``options`` answer through the cassette the environment names; return the
    line the worker prints (None: no cassette, nothing changed).

    Every provider kind of this process is wrapped and ``podium.run_tool`` replaced. A
    replaying worker serves every provider the catalogs declare, keys or not: no call
    leaves it.

    Raises:
        ConfigurationError: a wrong mode, or a recording that cannot be read.
    """
    try:
        cassette = from_environment(environ)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    if cassette is None:
        return None
    for kind, complete in list(PROVIDER_KINDS.items()):
        PROVIDER_KINDS[kind] = cassette.provider(complete)
    recorded = cassette.tool_activity()
    activities = tuple(recorded if a is run_tool else a for a in options.config.activities)
    options.config = dataclasses.replace(options.config, activities=activities)
    if cassette.mode == "replay":
        served = {provider.name for provider in options.providers}
        options.providers += [p for p in declared if p.name not in served]
    return f"podium worker {cassette.mode}s model and tool answers: {cassette.path}"
