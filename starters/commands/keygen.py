"""``podium keygen [--id ID]``: print a new AES-256 key as ``id:base64`` for
``PODIUM_ENCRYPTION_KEYS`` (put it first to rotate: new payloads use it, older keys still
decrypt what they wrote). Its id, ``k20261130-3f9a1c``, is unique even among keys made
the same day, since payloads name their key by id."""

from __future__ import annotations

import sys
from typing import TextIO

from podium.activities.payloads.settings import new_key


def main(key_id: str | None = None, out: TextIO | None = None) -> int:
    (out or sys.stdout).write(new_key(key_id) + "\n")
    return 0
