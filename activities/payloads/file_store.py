"""A payload store on the local filesystem (``podium dev``'s default, under ``.podium/``).

Objects are content-addressed (``<root>/<2 hex>/<sha256>``) and checked against their
hash when read; a write goes to a temporary file first, so a crash never leaves half an
object. Nothing deletes them by itself: ``podium payloads prune --older-than 30d``
removes objects no run younger than that can still read.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from podium.activities.errors import PayloadStoreError
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

DRIVER_NAME = "podium.file"
INLINE_IO = 1024 * 1024
"""Up to this many bytes are read or written on the event loop (a local disk takes well
under a millisecond); larger ones in a thread."""


class FileStore(StorageDriver):
    """Stores payloads as files under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def name(self) -> str:
        return DRIVER_NAME

    def type(self) -> str:
        return "podium.file"

    def path_of(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        if sum(p.ByteSize() for p in payloads) <= INLINE_IO:  # a local write: no thread hop
            return [self._write(p) for p in payloads]
        return await asyncio.gather(*(asyncio.to_thread(self._write, p) for p in payloads))

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        if sum(int(c.claim_data.get("size", 0)) for c in claims) <= INLINE_IO:
            return [self._read(c) for c in claims]
        return await asyncio.gather(*(asyncio.to_thread(self._read, c) for c in claims))

    def _write(self, payload: Payload) -> StorageDriverClaim:
        data = payload.SerializeToString()
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_of(digest)
        try:
            if path.exists():
                os.utime(path)  # still in use: prune goes by modification time
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}.partial")
                partial.write_bytes(data)
                partial.replace(path)
        except OSError as exc:
            raise PayloadStoreError(
                f"cannot write a {len(data):,}-byte payload to the payload store {self.root} "
                f"({exc.strerror}); Temporal retries — free space or fix the permissions, "
                "or point PODIUM_PAYLOAD_STORE elsewhere"
            ) from None
        return StorageDriverClaim(claim_data={"sha256": digest, "size": str(len(data))})

    def _read(self, claim: StorageDriverClaim) -> Payload:
        digest = claim.claim_data.get("sha256", "")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise PayloadStoreError(f"a payload reference names no valid object ({digest[:80]!r})")
        path = self.path_of(digest)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PayloadStoreError(
                f"payload {digest[:12]}… is not readable in the payload store {self.root} "
                f"({exc.strerror}): was it pruned, or does this process use another store "
                "than the one that wrote it? Set PODIUM_PAYLOAD_STORE to the same store on "
                "clients and workers"
            ) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise PayloadStoreError(
                f"payload {digest[:12]}… in the payload store {self.root} is damaged (its "
                "content does not match its hash)"
            )
        return Payload.FromString(data)
