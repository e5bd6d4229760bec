"""AES-GCM encryption of every payload, with key ids and rotation.

New payloads are encrypted with the first (newest) key; a payload names the key that
encrypted it (``encryption-key-id``), so histories written with an older key stay
readable as long as that key is still listed. Payloads that are not encrypted (written
before encryption was turned on) pass through unchanged. The payload's own metadata
(its encoding, its type) is encrypted with its data; only the key id is in the clear.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnknownEncryptionKey(RuntimeError):
    """A payload was encrypted with a key this process does not have."""


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with ``keys`` = ((id, 32-byte key), …); the first one encrypts."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("EncryptionCodec needs at least one key")
        self._current = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._current]
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), self._current.encode())
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._current.encode()},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was on (or a reference)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise UnknownEncryptionKey(
                    f"a payload was encrypted with key {key_id!r}, which this process does "
                    f"not have (it has: {', '.join(self._ciphers)}); add it to "
                    "PODIUM_ENCRYPTION_KEYS (after the current key) to read older runs"
                )
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            try:
                plain = cipher.decrypt(nonce, sealed, key_id.encode())
            except InvalidTag:
                raise UnknownEncryptionKey(
                    f"a payload marked with key {key_id!r} does not decrypt with this "
                    "process's key of that id: the keys differ between processes"
                ) from None
            out.append(Payload.FromString(plain))
        return out
