"""The error taxonomy decides what Temporal retries."""

from __future__ import annotations

import httpx
import pytest
from podium.activities import errors as e
from podium.activities.error_types import NON_RETRYABLE_TYPES
from podium.activities.providers.http_status import error_for_status
from podium.activities.providers.http_status import parse_retry_after as retry_after


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (408, e.ProviderRequestTimeout, True),
        (409, e.ProviderConflict, True),
        (429, e.ProviderRateLimited, True),
        (500, e.ProviderServerError, True),
        (503, e.ProviderServerError, True),
        (401, e.ProviderAuthError, False),
        (403, e.ProviderAuthError, False),
        (400, e.ProviderRejectedRequest, False),
        (404, e.ProviderRejectedRequest, False),
        (422, e.ProviderRejectedRequest, False),
    ],
)
def test_http_status_classification(status, cls, retryable):
    err = error_for_status(status, "boom", httpx.Headers())
    assert type(err) is cls and err.retryable is retryable
    app = err.to_application_error()
    assert app.type == cls.__name__ and app.non_retryable is (not retryable)


def test_retry_after_forms():
    assert retry_after(httpx.Headers({"retry-after": "7"})) == 7.0
    assert retry_after(httpx.Headers({"retry-after-ms": "250", "retry-after": "1"})) == 0.25
    assert retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after(httpx.Headers({"retry-after": "inf"})) is None
    assert retry_after(httpx.Headers({"retry-after-ms": "nan"})) is None
    err = error_for_status(429, "slow down", httpx.Headers({"retry-after": "3"}))
    assert err.to_application_error().next_retry_delay.total_seconds() == 3.0


def test_permanent_errors_ignore_retry_after():
    err = error_for_status(401, "bad key", httpx.Headers({"retry-after": "3"}))
    assert err.to_application_error().next_retry_delay is None


def test_non_retryable_list_is_exactly_the_permanent_leaves():
    assert set(NON_RETRYABLE_TYPES) == {
        "ProviderAuthError",
        "ProviderRejectedRequest",
        "ProviderNotConfigured",
        "ProviderUnavailable",
        "AgentFunctionError",
        "InternalError",
        "AnswerTooLarge",
        "ToolNotConfigured",
        "GuardTripped",
        "OutputSchemaError",
        "OutputTruncated",
    }
