"""Which structured-output mode an OpenAI-compatible provider accepts, learned from what
it does rather than from what it says.

A catalog's provider asks for ``structured_output: json_schema`` (the default),
``json_object`` or ``none``. Servers that do not know a mode refuse it each in their own
words and with their own status — llama.cpp's server answers ``json_schema`` with HTTP 500
``literal_error … Input should be 'text' or 'json_object'``, others with 400 or 422 — so
the wording is never read. An error answer to a request with a ``response_format`` that is
not about the key, the rate or time (``REFUSAL_STATUSES``) is followed at once by the same
request in the next weaker mode; when that one is answered, this worker process uses the
weaker mode for that provider from then on (``answered``). When it fails too, the first
error is the call's (an ordinary server error teaches nothing), and a mode the provider
has answered in this process is never probed again.
"""

from __future__ import annotations

import logging

from podium.activities.contracts import ProviderConfig

logger = logging.getLogger("podium.provider")

WEAKER = {"json_schema": "json_object", "json_object": "none"}
_STRENGTH = {"json_schema": 2, "json_object": 1, "none": 0}
NOT_A_REFUSAL = frozenset({401, 403, 408, 409, 429, 502, 503, 504})
"""Statuses about the key, the rate, time or a server that is down: never a refusal of
the mode (the same request in another mode would fare no better)."""
_learned: dict[tuple[str, str | None], str] = {}
"""Modes learned per provider endpoint (name, base URL) in this worker process."""
_answered: set[tuple[str, str | None, str]] = set()
"""(name, base URL, mode) this worker process has seen answered: an error to such a mode
later is an ordinary one (a server that once took it does not refuse it)."""


def _endpoint(provider: ProviderConfig) -> tuple[str, str | None]:
    return provider.name, provider.base_url


def structured_mode(provider: ProviderConfig) -> str:
    """The mode to ask for: the catalog's, or a weaker one this worker learned the
    provider needs."""
    return _learned.get(_endpoint(provider), provider.structured_output)


def weaker_mode(provider: ProviderConfig, mode: str, status: int, has_schema: bool) -> str | None:
    """The mode to try next after HTTP ``status`` answered a request in ``mode`` (None:
    the answer stands)."""
    if not has_schema or mode not in WEAKER or status < 400 or status in NOT_A_REFUSAL:
        return None
    if (*_endpoint(provider), mode) in _answered:
        return None
    return WEAKER[mode]


def answered(provider: ProviderConfig, asked: str, refused_status: int, mode: str) -> None:
    """Note that ``provider`` answered a request in ``mode``; if that was after it
    refused ``asked`` with ``refused_status``, use ``mode`` for it from now on (a weaker
    mode learned meanwhile by another call stays)."""
    _answered.add((*_endpoint(provider), mode))
    if mode == asked or _STRENGTH[mode] >= _STRENGTH[structured_mode(provider)]:
        return
    _learned[_endpoint(provider)] = mode
    logger.warning(
        "provider %r answered HTTP %d to response_format %r and accepted %r: this worker "
        "uses %r for it from now on (set structured_output: %s in the catalog to skip the "
        "probe)",
        provider.name,
        refused_status,
        asked,
        mode,
        mode,
        mode,
    )
