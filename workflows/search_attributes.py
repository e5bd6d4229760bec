"""Podium's custom search attributes (registered on the server by ``podium dev``)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

SPEC = SearchAttributeKey.for_keyword("PodiumSpec")
STATUS = SearchAttributeKey.for_keyword("PodiumStatus")
NEEDS_HUMAN = SearchAttributeKey.for_bool("PodiumNeedsHuman")
WAITING_ON = SearchAttributeKey.for_keyword_list("PodiumWaitingOn")
COST_USD = SearchAttributeKey.for_float("PodiumCostUsd")
MARKET = SearchAttributeKey.for_keyword("PodiumMarket")
"""The run input's ``market`` (set by ``start_run`` when the run starts, never by the run)."""

ALL = (SPEC, STATUS, NEEDS_HUMAN, WAITING_ON, COST_USD, MARKET)

_CLI_TYPES = {
    "KEYWORD": "Keyword",
    "BOOL": "Bool",
    "KEYWORD_LIST": "KeywordList",
    "DOUBLE": "Double",
}


def dev_server_flags() -> list[str]:
    """``--search-attribute NAME=Type`` flags for ``temporal server start-dev``."""
    flags = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type.name]}"]
    return flags
