"""The one data converter: pydantic JSON, then (if keys are set) AES-GCM, then (if a
store is set) large payloads to the store. Clients, workers, the replayer and the codec
server all build theirs here, from the same settings. Without keys the codec encrypts
nothing but still names the key of an encrypted payload it cannot read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from podium.activities.payloads.codec import EncryptionCodec, UnknownEncryptionKey
from podium.activities.payloads.file_store import FileStore
from podium.activities.payloads.settings import PayloadSettings, from_environment
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverter,
    ExternalStorage,
    PayloadConverter,
    StorageDriver,
)


class FailureConverter(DefaultFailureConverter):
    """Temporal's, but a missing key's failure carries no stack trace: its message says
    it all, and a worker's core logs the whole failure on every retry of the task."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if isinstance(exception, UnknownEncryptionKey):
            exception = exception.with_traceback(None)
        super().to_failure(exception, payload_converter, failure)


class EncryptedFailureConverter(FailureConverter):
    """With keys set, failure messages and stack traces are encrypted too."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


def store_driver(settings: PayloadSettings) -> StorageDriver | None:
    """The store's driver (None: no store)."""
    if settings.store is None:
        return None
    if settings.store.startswith("s3://"):
        from podium.activities.payloads.s3_store import s3_store

        return s3_store(settings.store.removeprefix("s3://"), settings.s3_endpoint)
    return FileStore(Path(settings.store.removeprefix("file:")))


def data_converter(settings: PayloadSettings | None = None) -> DataConverter:
    """Podium's converter for ``settings`` (default: from the environment)."""
    if settings is None:
        settings = from_environment()
    driver = store_driver(settings)
    return dataclasses.replace(
        pydantic_data_converter,
        failure_converter_class=(EncryptedFailureConverter if settings.keys else FailureConverter),
        payload_codec=EncryptionCodec(settings.keys),
        external_storage=(
            ExternalStorage(drivers=[driver], payload_size_threshold=settings.threshold)
            if driver is not None
            else None
        ),
    )
