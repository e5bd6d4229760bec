"""The one data converter: pydantic JSON, then (if keys are set) AES-GCM, then (if a
store is set) large payloads to the store. Clients, workers, the replayer and the codec
server all build theirs here, from the same settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from podium.activities.payloads.codec import EncryptionCodec
from podium.activities.payloads.file_store import FileStore
from podium.activities.payloads.settings import PayloadSettings, from_environment
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    ExternalStorage,
    StorageDriver,
)


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
    if settings.store is None and not settings.keys:
        return pydantic_data_converter
    driver = store_driver(settings)
    extra: dict[str, Any] = {}
    if settings.keys:  # failure messages and stack traces are encrypted too
        extra["failure_converter_class"] = DefaultFailureConverterWithEncodedAttributes
    return dataclasses.replace(
        pydantic_data_converter,
        **extra,
        payload_codec=EncryptionCodec(settings.keys) if settings.keys else None,
        external_storage=(
            ExternalStorage(drivers=[driver], payload_size_threshold=settings.threshold)
            if driver is not None
            else None
        ),
    )
