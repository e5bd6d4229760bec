"""A fact's value at rest: a Temporal payload through the process's payload codec.

With encryption on (``PODIUM_ENCRYPTION_KEYS``) the stored bytes are the codec's AES-GCM
ciphertext and no search text is kept beside them; without it they are the payload's JSON.
Large-payload offloading is not used here: a fact lives only in the memory store, so
forgetting it leaves no copy in the payload store.
"""

from __future__ import annotations

import json
from typing import Any

from podium.activities.payloads.codec import EncryptionCodec
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter


def encrypts(converter: DataConverter) -> bool:
    """Whether values pass a codec that may hide them (any codec but a keyless Podium one)."""
    codec = converter.payload_codec
    if codec is None:
        return False
    return not (isinstance(codec, EncryptionCodec) and not codec.key_ids)


async def encode(converter: DataConverter, value: Any) -> bytes:
    """``value`` as stored bytes."""
    payloads = converter.payload_converter.to_payloads([value])
    if converter.payload_codec is not None:
        payloads = await converter.payload_codec.encode(payloads)
    return bytes(payloads[0].SerializeToString())


async def decode(converter: DataConverter, data: bytes) -> Any:
    """Stored bytes back as the value (``UnknownEncryptionKey`` without its key)."""
    payloads = [Payload.FromString(data)]
    if converter.payload_codec is not None:
        payloads = await converter.payload_codec.decode(payloads)
    return converter.payload_converter.from_payloads(payloads)[0]


def fact_text(value: Any) -> str:
    """The text a fact is searched by: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
