"""Writing a user's file back: in the encoding it was read in, and whole or not at all."""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

__all__ = ["encoding_of", "read_bytes", "write_atomically"]

_BOMS = (  # those compiler.textfile reads, longest first: a file keeps its mark
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def encoding_of(data: bytes) -> tuple[bytes, str]:
    """(byte-order mark, codec) that write text as ``data`` was written (UTF-8 if unmarked)."""
    return next(((bom, codec) for bom, codec in _BOMS if data.startswith(bom)), (b"", "utf-8"))


def read_bytes(path: Path) -> bytes | None:
    """What ``path`` holds, or None if it cannot be read (gone, a folder, no permission)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole: a crash leaves the old file or the new one, never
    half of one (its permissions are kept)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
