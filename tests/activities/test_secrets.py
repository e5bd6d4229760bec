"""Secrets never leave a worker: not in failures, not in logs."""

from __future__ import annotations

import logging

import pytest
from podium.activities import secrets
from temporalio.exceptions import ApplicationError

KEY = "sk-live-podium-0123456789"


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("ACME_LLM_CREDENTIAL", KEY)
    monkeypatch.setenv("PLAIN_SETTING", "not-a-secret-value")


@pytest.mark.usefixtures("keyed")
def test_scrub_replaces_secret_values_and_bearer_tokens():
    text = f"Incorrect API key provided: {KEY} (header was Bearer abc.def-123456)"
    assert secrets.scrub(text) == "Incorrect API key provided: *** (header was Bearer ***)"
    assert secrets.scrub("not-a-secret-value") == "not-a-secret-value"
    nested = secrets.scrub_value({"errors": [f"key {KEY}"], "n": 3})
    assert nested == {"errors": ["key ***"], "n": 3}


def test_a_provider_key_variable_with_any_name_is_a_secret(monkeypatch):
    monkeypatch.setenv("ACME_ENDPOINT_AUTH", "zz-9f8e7d6c5b4a")
    assert "zz-9f8e7d6c5b4a" in secrets.scrub("zz-9f8e7d6c5b4a")  # not known yet
    secrets.register("ACME_ENDPOINT_AUTH")  # a catalog names it as api_key_env
    assert secrets.scrub("echo zz-9f8e7d6c5b4a") == "echo ***"


@pytest.mark.usefixtures("keyed")
def test_log_records_and_their_tracebacks_are_scrubbed():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(secrets.ScrubbingFilter())
    log = logging.getLogger("podium.test.secrets")
    log.addHandler(handler)
    try:
        log.warning("provider said %s", KEY)
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    assert records and all(KEY not in r for r in records)
    assert "provider said ***" in records[0] and "RuntimeError: boom ***" in records[1]


@pytest.mark.usefixtures("keyed")
async def test_no_failure_leaves_an_activity_with_a_secret():
    class Next:
        def __init__(self, exc: BaseException):
            self.exc = exc

        async def execute_activity(self, input):  # noqa: A002 (Temporal's name)
            raise self.exc

    inbound = secrets.ScrubbingInterceptor().intercept_activity(
        Next(ApplicationError(f"denied {KEY}", {"echo": KEY}, type="X", non_retryable=True))
    )
    with pytest.raises(ApplicationError) as info:
        await inbound.execute_activity(None)
    assert info.value.message == "denied ***" and info.value.details == ({"echo": "***"},)
    assert info.value.type == "X" and info.value.non_retryable
    inbound = secrets.ScrubbingInterceptor().intercept_activity(Next(ValueError(f"v {KEY}")))
    with pytest.raises(ApplicationError) as info:
        await inbound.execute_activity(None)
    assert info.value.message == "v ***" and info.value.type == "ValueError"


@pytest.mark.usefixtures("keyed")
async def test_a_secret_in_a_chained_cause_is_not_sent_along():
    class Next:
        async def execute_activity(self, input):  # noqa: A002 (Temporal's name)
            try:
                raise ValueError(f"parsing {KEY}")
            except ValueError as exc:
                raise ApplicationError("could not parse", type="Y") from exc

    inbound = secrets.ScrubbingInterceptor().intercept_activity(Next())
    with pytest.raises(ApplicationError) as info:
        await inbound.execute_activity(None)
    assert info.value.message == "could not parse" and info.value.__cause__ is None
