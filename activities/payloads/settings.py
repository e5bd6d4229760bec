"""Where large payloads go and which keys encrypt them, read from the environment.

    PODIUM_PAYLOAD_STORE       file:/path (or a plain path) | s3://bucket | none
    PODIUM_PAYLOAD_THRESHOLD   payloads this big or bigger are stored (default 128KB;
                               bytes, or with KB / MB)
    PODIUM_S3_ENDPOINT         an S3-compatible server (MinIO, moto, …); default AWS
    PODIUM_ENCRYPTION_KEYS     key-id:base64-key[,key-id:base64-key…] — the first
                               encrypts new payloads, all of them decrypt
    PODIUM_ENCRYPTION_KEY_FILE a file of the same, one ``key-id:base64-key`` per line

Keys come from the environment or a file on clients and workers — never from a spec.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from podium.activities.errors import SetupError

KEYS_VARIABLE = "PODIUM_ENCRYPTION_KEYS"
KEY_FILE_VARIABLE = "PODIUM_ENCRYPTION_KEY_FILE"

DEFAULT_THRESHOLD = 128 * 1024
"""Stored above this (Temporal refuses a payload over 2 MB; 128 KB keeps a history of a
few hundred calls well under its 50 MB)."""


class PayloadSettingsError(SetupError, ValueError):
    """A payload-store or encryption setting is malformed."""


@dataclass(frozen=True)
class PayloadSettings:
    """How payloads travel for one process (client or worker: both must agree)."""

    store: str | None = None
    """``file:/abs/path``, ``s3://bucket`` or None (everything inline)."""
    threshold: int = DEFAULT_THRESHOLD
    s3_endpoint: str | None = None
    keys: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    """(key id, 32-byte key); the first encrypts. Empty: no encryption."""

    @property
    def encrypted(self) -> bool:
        return bool(self.keys)

    def describe(self) -> str:
        """One line for people (never a key)."""
        store = self.store or "none (payloads inline, 2 MB limit)"
        crypt = f"AES-GCM, key {self.keys[0][0]!r}" if self.keys else "off"
        return f"payload store: {store}; threshold {self.threshold:,} B; encryption: {crypt}"


def from_environment(
    environ: dict[str, str] | None = None, *, default_store: str | None = None
) -> PayloadSettings:
    """The settings in ``environ`` (default: ``os.environ``); ``default_store`` when the
    environment names none (``podium dev``'s folder store)."""
    env = os.environ if environ is None else environ
    store = _store(env.get("PODIUM_PAYLOAD_STORE", "").strip() or default_store)
    return PayloadSettings(
        store=store,
        threshold=_size(env.get("PODIUM_PAYLOAD_THRESHOLD", "")),
        s3_endpoint=env.get("PODIUM_S3_ENDPOINT") or None,
        keys=_keys(env),
    )


def _store(value: str | None) -> str | None:
    if not value or value.lower() == "none":
        return None
    if value.startswith("s3://"):
        bucket = value[5:].strip("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket):
            raise PayloadSettingsError(
                f"PODIUM_PAYLOAD_STORE={value!r}: {bucket!r} is not an S3 bucket name\n"
                "hint: s3://my-bucket (3–63 lowercase letters, digits, '.' or '-')"
            )
        return f"s3://{bucket}"
    if "://" in value:
        raise PayloadSettingsError(
            f"PODIUM_PAYLOAD_STORE={value!r}: unknown store\n"
            "hint: file:/path/to/dir, s3://bucket or none"
        )
    path = Path(value.removeprefix("file:")).expanduser().resolve()
    return f"file:{path}"


def _size(value: str) -> int:
    value = value.strip().upper().replace(" ", "")
    if not value:
        return DEFAULT_THRESHOLD
    match = re.fullmatch(r"(\d+)(B|KB|KIB|MB|MIB)?", value)
    if not match:
        raise PayloadSettingsError(
            f"PODIUM_PAYLOAD_THRESHOLD={value!r} is not a size\nhint: e.g. 131072, 128KB or 1MB"
        )
    unit = {"KB": 1024, "KIB": 1024, "MB": 1024**2, "MIB": 1024**2}.get(match[2] or "B", 1)
    size = int(match[1]) * unit
    if not 1024 <= size <= 2 * 1024**2:
        raise PayloadSettingsError(
            f"PODIUM_PAYLOAD_THRESHOLD={value!r} is outside 1KB–2MB\n"
            "hint: Temporal refuses payloads over 2 MB; the default is 128KB"
        )
    return size


def _keys(env: os._Environ[str] | dict[str, str]) -> tuple[tuple[str, bytes], ...]:
    where, text = KEYS_VARIABLE, env.get(KEYS_VARIABLE, "")
    if not text.strip() and env.get(KEY_FILE_VARIABLE):
        path = Path(env[KEY_FILE_VARIABLE]).expanduser()
        where = f"{KEY_FILE_VARIABLE} ({path})"
        try:
            text = path.read_text()
        except OSError as exc:
            raise PayloadSettingsError(
                f"{where}: cannot read it ({exc.strerror})\nhint: a file of key-id:base64-key lines"
            ) from None
    keys: list[tuple[str, bytes]] = []
    for number, item in enumerate(re.split(r"[,\n]", text), 1):
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, encoded = item.partition(":")
        try:
            key = base64.b64decode(encoded.strip(), validate=True) if sep else b""
        except (binascii.Error, ValueError):
            key = b""
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", key_id.strip()) or len(key) != 32:
            raise PayloadSettingsError(
                f"{where}: entry {number} is not key-id:base64-key with a 32-byte key "
                "(the value is not shown)\n"
                'hint: make one with: podium keygen (or: python -c "import os, base64; '
                "print('k1:' + base64.b64encode(os.urandom(32)).decode())\")"
            )
        if any(known == key_id.strip() for known, _ in keys):
            raise PayloadSettingsError(f"{where}: key id {key_id.strip()!r} appears twice")
        keys.append((key_id.strip(), key))
    return tuple(keys)


def new_key(key_id: str | None = None) -> str:
    """A new key as ``id:base64`` (32 random bytes).

    The default id is today's date and 6 random hex digits, ``k20261130-3f9a1c``: two keys
    made the same day get different ids, which rotation needs (a payload names its key
    by id). Any id already in use stays valid (``k20261130`` from older releases).
    """
    key_id = key_id or f"{datetime.date.today():k%Y%m%d}-{secrets.token_hex(3)}"
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"
