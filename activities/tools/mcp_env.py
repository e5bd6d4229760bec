"""The environment a stdio MCP server is started with: what the catalog's ``env:`` declares.

The MCP SDK starts a stdio server with only ``HOME``, ``LOGNAME``, ``PATH``, ``SHELL``,
``TERM`` and ``USER`` from the starting process (``mcp.client.stdio``
``get_default_environment``), plus the variables it is handed — here, exactly those of the
tool's ``env:``. Their values may hold ``${VAR}`` / ``${VAR:-default}``
(``activities.env_template``): they travel unexpanded in the plan and are expanded from the
environment of the process that starts the server (the worker; the compiler, to read
its tool list), so a token never enters a run's history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from podium.activities import env_template
from podium.activities.errors import ToolNotConfigured
from podium.activities.secrets import register

UNSET_VARIABLE = "and it is not set here"
"""What the error of a server whose ``env:`` reads an unset variable says."""


def server_env(env: Mapping[str, str] | None, where: str) -> dict[str, str] | None:
    """``env`` expanded from this process's environment (None: nothing declared); an
    unset variable without a default is ``ToolNotConfigured``."""
    if not env:
        return None
    out = {}
    for name, value in env.items():
        for variable in env_template.variables(value):
            register(variable)  # a token's value never reaches a log line
        try:
            out[name] = env_template.expand(value, os.environ)
        except env_template.UnsetVariable as exc:
            raise ToolNotConfigured(
                f"MCP server {where!r} needs environment variable {exc.name} (its env: "
                f"{name}), {UNSET_VARIABLE}; set it, or give a default: "
                f"${{{exc.name}:-…}}"
            ) from None
    return out
