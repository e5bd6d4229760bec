"""Reading a user's text file (spec, catalog, run input) without ever showing a traceback.

Accepted: UTF-8 (with or without a byte-order mark) and UTF-16/UTF-32 with a byte-order
mark (what Windows tools write as "Unicode"). Anything else is refused with the byte
offset, line and column of the first byte that is not UTF-8, a guess of the encoding and
the ``iconv`` command that converts the file.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.activities.errors import SetupError

Loc = tuple[str | int, ...]

_BOMS = (  # longest first: a UTF-32-LE mark starts like a UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
SAVE_AS_UTF8 = "save it as UTF-8 (most editors: Save As… → Encoding: UTF-8)"


@dataclass(frozen=True)
class FileIssue:
    """One thing wrong with a file: what, where (line, key path) and how to fix it."""

    message: str
    line: int | None = None
    loc: Loc = ()
    hint: str = ""


class FileReadError(SetupError):
    """``path`` could not be read or parsed; ``issues`` lists every reason found."""

    def __init__(self, path: Path, issues: list[FileIssue], parsed: Any = None):
        self.path = path
        self.issues = issues
        self.parsed = parsed
        """What could be read despite the issues (a ``YamlDocument``), to name places."""
        super().__init__("; ".join(i.message for i in issues))


def read_text(path: Path, what: str = "file") -> str:
    """The text of ``path`` (BOM removed); raise ``FileReadError`` saying what is wrong.

    An empty file is returned as ``""``: whether that is wrong is the caller's call.

    ``what`` names the file's role in messages ("spec", "agent catalog", "input file").
    """
    try:
        if path.is_dir():
            raise _fail(path, f"{what} is a directory, not a file", _dir_hint(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(
            path, f"{what} was not found", f"check the path (looked at {path.absolute()})"
        ) from None
    except PermissionError:
        raise _fail(
            path,
            f"{what} cannot be read: permission denied",
            f"give yourself read access, e.g. chmod u+r {path}",
        ) from None
    except OSError as exc:
        raise _fail(path, f"{what} cannot be read: {exc.strerror or exc}") from None
    return decode(path, data)


def decode(path: Path, data: bytes) -> str:
    """``data`` as text: by its byte-order mark, else as UTF-8 (refused if it is not)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                offset = len(bom) + exc.start
                line = _line(data, offset)
                name = encoding.upper().removesuffix("-LE").removesuffix("-BE")
                raise _fail(
                    path,
                    f"the file starts with a {name} byte-order mark but is not valid {name} "
                    f"at byte offset {offset} (line {line})",
                    SAVE_AS_UTF8,
                    line,
                ) from None
    binary = _binary_kind(data)
    if binary is not None:
        raise _fail(
            path,
            f"the file is {binary}, not text",
            "give the YAML or JSON text file (specs, catalogs and inputs are text)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data, exc.start) from None
    if "\x00" in text:
        offset = data.index(b"\x00")
        line = _line(data, offset)
        raise _fail(
            path,
            f"the file contains NUL bytes (first at byte offset {offset}, line {line}): it looks "
            "like UTF-16 saved without a byte-order mark",
            f"{SAVE_AS_UTF8}, or convert it: iconv -f UTF-16LE -t UTF-8 {path} > {_out(path)}",
            line,
        )
    return text


def _not_utf8(path: Path, data: bytes, offset: int) -> FileReadError:
    line = _line(data, offset)
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    encoding, label = _guess(data)
    return _fail(
        path,
        f"the file is not UTF-8: byte 0x{data[offset]:02X} at byte offset {offset} (line {line}, "
        f"column {column}) is not valid UTF-8; it looks like {label}",
        f"{SAVE_AS_UTF8}, or convert it: iconv -f {encoding} -t UTF-8 {path} > {_out(path)} "
        "(UTF-16 with a byte-order mark is read as is)",
        line,
    )


_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"\x7fELF", "a program (ELF)"),
)
_CONTROL = frozenset(range(1, 9)) | {0x0B} | frozenset(range(0x0E, 0x1A)) | {0x1C, 0x1D, 0x1E, 0x1F}
"""Bytes that text in any 8-bit encoding does not contain (tab, newlines, form feed,
DOS's end-of-file mark 0x1A and escape aside)."""


def _binary_kind(data: bytes) -> str | None:
    """What binary data this is ("a PNG image", "binary data"), or None for text (UTF-16
    without a byte-order mark counts as text: its NULs alternate with ASCII)."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:8192]
    if any(b in _CONTROL for b in head):
        return "binary data"
    nuls = {i % 2 for i, b in enumerate(head) if b == 0}
    return "binary data" if len(nuls) > 1 else None


def _guess(data: bytes) -> tuple[str, str]:
    """(iconv name, description) of the likeliest 8-bit encoding of ``data``.

    Thai words are runs of bytes ≥ 0xA1 in TIS-620; in Windows-1252/Latin-1 text the
    bytes ≥ 0x80 are mostly lone accented letters between ASCII ones.
    """
    high = [i for i, b in enumerate(data) if b >= 0x80]
    if not high:
        return "CP1252", "Windows-1252 (Western European)"
    paired = sum(
        1
        for i in high
        if (i > 0 and data[i - 1] >= 0xA1) or (i + 1 < len(data) and data[i + 1] >= 0xA1)
    )
    thai_range = all(b >= 0xA1 and b <= 0xFB for b in (data[i] for i in high))
    if thai_range and paired * 2 >= len(high):
        return "TIS-620", "TIS-620 (Thai)"
    return "CP1252", "Windows-1252 / Latin-1 (Western European)"


def _dir_hint(path: Path) -> str:
    try:
        found = sorted(p.name for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    except OSError:
        found = []
    if found:
        return "give the file inside it, e.g. " + ", ".join(str(path / n) for n in found[:5])
    return "give the path of a file, not of a folder"


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _out(path: Path) -> str:
    return str(path.with_name(f"{path.stem}.utf8{path.suffix}"))


def _fail(path: Path, message: str, hint: str = "", line: int | None = None) -> FileReadError:
    return FileReadError(path, [FileIssue(message, line, (), hint)])
