"""A payload store in S3 (or any S3-compatible server: MinIO, Ceph, moto), through the
SDK's own ``S3StorageDriver`` (content-addressed keys, hash checked on read).

Needs the ``s3`` extra (``pip install 'podium[s3]'``: aioboto3). Credentials and region
come from the usual AWS settings (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, instance
roles, ``AWS_REGION``); ``PODIUM_S3_ENDPOINT`` points at a server other than AWS.
Retention: give the bucket a lifecycle rule (e.g. expire objects after 90 days) longer
than your runs plus the namespace's retention.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from podium.activities.errors import PayloadStoreError
from temporalio.contrib.aws.s3driver import S3StorageDriver, S3StorageDriverClient

DRIVER_NAME = "podium.s3"


class LazyS3Client(S3StorageDriverClient):
    """An aioboto3 S3 client opened on first use in each event loop (a client, a worker
    and a codec server may each run their own loop)."""

    def __init__(self, endpoint: str | None = None) -> None:
        try:
            import aioboto3
        except ImportError:
            raise PayloadStoreError(
                "PODIUM_PAYLOAD_STORE is s3://… but aioboto3 is not installed\n"
                "hint: pip install 'podium[s3]'"
            ) from None
        self._session = aioboto3.Session()
        self._endpoint = endpoint
        self._clients: dict[int, Any] = {}

    async def _client(self) -> Any:
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            context = self._session.client("s3", endpoint_url=self._endpoint)
            self._clients[loop] = (context, await context.__aenter__())
        return self._clients[loop][1]

    async def put_object(self, *, bucket: str, key: str, data: bytes) -> None:
        client = await self._client()
        await self._call(client.put_object(Bucket=bucket, Key=key, Body=data), bucket)

    async def object_exists(self, *, bucket: str, key: str) -> bool:
        client = await self._client()
        try:
            await client.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if _status(exc) == 404:
                return False
            raise self._error(exc, bucket) from None
        return True

    async def get_object(self, *, bucket: str, key: str) -> bytes:
        client = await self._client()
        response = await self._call(client.get_object(Bucket=bucket, Key=key), bucket)
        async with response["Body"] as body:
            return bytes(await body.read())

    def describe(self) -> Mapping[str, str]:
        return {"endpoint": self._endpoint or "aws"}

    async def _call(self, request: Any, bucket: str) -> Any:
        try:
            return await request
        except Exception as exc:
            raise self._error(exc, bucket) from None

    def _error(self, exc: Exception, bucket: str) -> PayloadStoreError:
        where = self._endpoint or "AWS"
        return PayloadStoreError(
            f"the S3 payload store (bucket {bucket!r} at {where}) failed: "
            f"{type(exc).__name__}: {exc}; Temporal retries until it answers"
        )


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("ResponseMetadata", {}).get("HTTPStatusCode")  # type: ignore[no-any-return]
    return None


def s3_store(bucket: str, endpoint: str | None) -> S3StorageDriver:
    """The driver for ``s3://bucket``."""
    return S3StorageDriver(LazyS3Client(endpoint), bucket, driver_name=DRIVER_NAME)
