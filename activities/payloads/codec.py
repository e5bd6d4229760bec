"""AES-GCM encryption of every payload, with key ids and rotation.

New payloads are encrypted with the first (newest) key; a payload names the key that
encrypted it (``encryption-key-id``), so histories written with an older key stay
readable as long as that key is still listed. Payloads that are not encrypted (written
before encryption was turned on) pass through unchanged. The payload's own metadata
(its encoding, its type) is encrypted with its data; only the key id is in the clear.

A process without keys still has this codec: it encrypts nothing, and an encrypted
payload it cannot read raises ``UnknownEncryptionKey`` naming the key (not the JSON
converter's ``KeyError: Unknown payload encoding``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from podium.activities.errors import SetupError
from podium.activities.payloads.settings import KEY_FILE_VARIABLE, KEYS_VARIABLE
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UnknownEncryptionKey(SetupError, RuntimeError):
    """Data is encrypted with a key this process does not have (or has under that id with
    another value); the message names the key id and the variable to set."""

    def __init__(
        self, key_id: str, known: Sequence[str] = (), *, differs: bool = False, said: str = ""
    ) -> None:
        self.key_id = key_id
        self.known = tuple(known)
        """The ids of the keys this process has."""
        self.differs = differs
        """This process has a key of that id, but it is not the key that encrypted."""
        super().__init__(said or f"a payload was {self.problem()}; {self.fix()}")

    def problem(self, holder: str = "this process") -> str:
        """``encrypted with key 'k1', which this process does not have (its keys: none)``."""
        if self.differs:
            return (
                f"encrypted with key {self.key_id!r}, which does not decrypt with {holder}'s "
                "key of that id: the keys differ between processes"
            )
        return (
            f"encrypted with key {self.key_id!r}, which {holder} does not have "
            f"(its keys: {', '.join(self.known) or 'none'})"
        )

    def fix(self, holder: str = "this process") -> str:
        """What to set, and where."""
        where = f"{KEYS_VARIABLE} (or {KEY_FILE_VARIABLE})"
        if self.differs:
            return f"give every client and worker the same key {self.key_id!r} in {where}"
        if self.known:
            return (
                f"add {self.key_id}:<base64 key> to {where} on {holder}, after its current "
                f"key {self.known[0]!r}"
            )
        return (
            f"set {KEYS_VARIABLE}={self.key_id}:<base64 key> (or {KEY_FILE_VARIABLE}) on {holder}"
        )

    @staticmethod
    def key_in(message: str) -> str | None:
        """The key id a message of this class names (None if it names none)."""
        found = re.search(r"encrypted with key '([^']*)'", message)
        return found.group(1) if found else None

    def reading(
        self, what: str, holder: str = "this client", data: str = "its data"
    ) -> UnknownEncryptionKey:
        """The same error as one line for people: ``cannot read run X: its data is …``."""
        said = f"cannot read {what}: {data} is {self.problem(holder)}; {self.fix(holder)}"
        return UnknownEncryptionKey(self.key_id, self.known, differs=self.differs, said=said)


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with ``keys`` = ((id, 32-byte key), …); the first one encrypts. Without
    keys nothing is encrypted, and encrypted payloads are refused by name."""

    def __init__(self, keys: Sequence[tuple[str, bytes]] = ()) -> None:
        self._current = keys[0][0] if keys else None
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if self._current is None:
            return list(payloads)
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
            key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise UnknownEncryptionKey(key_id, self.key_ids)
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            try:
                plain = cipher.decrypt(nonce, sealed, key_id.encode())
            except InvalidTag:
                raise UnknownEncryptionKey(key_id, self.key_ids, differs=True) from None
            out.append(Payload.FromString(plain))
        return out
