"""Compile-time helpers agents and tools share: retry settings, JSON Schema checks."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from podium.activities.retry_settings import RetrySettings
from podium.compiler.entries import RetryEntry
from podium.compiler.problems import Reporter
from podium.compiler.yamlfile import Loc, YamlDocument
from podium.workflows.durations import parse_duration


def retry_settings(entry: RetryEntry) -> RetrySettings:
    """Retry settings from their spec form."""
    return RetrySettings(
        max_attempts=entry.max_attempts,
        initial_interval_s=parse_duration(entry.initial_interval),
        backoff=entry.backoff,
        max_interval_s=parse_duration(entry.max_interval),
        max_elapsed_s=parse_duration(entry.max_elapsed) if entry.max_elapsed else None,
    )


def check_schema(report: Reporter, doc: YamlDocument, loc: Loc, schema: Any, what: str) -> None:
    """Record a problem if ``schema`` is not a valid JSON Schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        report.problem(
            doc, loc + tuple(exc.path), f"{what} is not a valid JSON Schema: {exc.message}"
        )
