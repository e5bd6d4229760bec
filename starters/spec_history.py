"""Every saved version of a spec: who saved it, when, and the text each save replaced.

Kept beside the project's other local state, one folder per spec file::

    .podium/spec-history/specs%2Fdeal_review.yaml/
        index.json                       {"spec": "specs/deal_review.yaml", "versions": [...]}
        0001-20260105T101500Z.yaml       the text as it was before the first save
        0002-20260105T101730Z.yaml       the text that save wrote, …

Plain files rather than git: a spec's folder need not be a repository, a save from the
console must not make commits in someone's working tree (nor need git and an identity
there), and copies with a JSON index are read and backed up with any tool. Each version
is a whole copy — specs are small — so any two compare without replaying anything.

A save (``save_spec``) holds a lock on the spec's history folder, refuses to overwrite a
file that changed on disk since it was opened (``SpecEditError``), records the text found
on disk first when no version holds it yet (the file as it was before the builder, or
edited by hand since: saved by ``"(on disk)"``), then writes the file and records it.
"""

from __future__ import annotations

import datetime
import difflib
import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from podium.compiler.file_writing import write_atomically
from podium.compiler.spec_editing import SpecEditError, SpecEditor
from podium.compiler.textfile import decode
from pydantic import BaseModel

__all__ = ["ON_DISK", "SpecHistory", "SpecVersion", "save_spec"]

HISTORY_DIR = Path(".podium") / "spec-history"
ON_DISK = "(on disk)"
"""Who saved a version found on disk: the file before its first save, or edited by hand."""


class SpecVersion(BaseModel):
    """One saved text of a spec."""

    number: int
    saved_by: str
    saved_at: datetime.datetime
    file: str
    """Its copy, in the spec's history folder."""
    sha256: str


class _Index(BaseModel):
    spec: str
    versions: list[SpecVersion] = []


class SpecHistory:
    """The versions of the spec at ``spec``, kept under ``root`` (default: the project's
    ``.podium/spec-history``, the project being the current folder)."""

    def __init__(self, spec: str | Path, root: Path | None = None):
        self.spec = Path(spec)
        self.root = root if root is not None else HISTORY_DIR
        self.name = _relative(self.spec)
        self.folder = self.root / quote(self.name, safe="")

    def versions(self) -> list[SpecVersion]:
        """Every version, oldest first (none before the spec's first save)."""
        return self._index().versions

    def text(self, number: int) -> bytes:
        """The spec as version ``number`` holds it (its bytes, as they were written)."""
        return (self.folder / self._version(number).file).read_bytes()

    def diff(self, old: int, new: int) -> str:
        """The unified diff from version ``old`` to version ``new`` (empty if the same)."""
        before, after = self._version(old), self._version(new)
        return "".join(
            difflib.unified_diff(
                _lines(self.text(old)),
                _lines(self.text(new)),
                f"{self.name} v{old} ({before.saved_by}, {before.saved_at:%Y-%m-%d %H:%M} UTC)",
                f"{self.name} v{new} ({after.saved_by}, {after.saved_at:%Y-%m-%d %H:%M} UTC)",
            )
        )

    def record(
        self, data: bytes, saved_by: str, at: datetime.datetime | None = None
    ) -> SpecVersion:
        """Keep ``data`` as the next version (call it holding ``lock``)."""
        at = (at or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
        self.folder.mkdir(parents=True, exist_ok=True)
        index = self._index()
        number = len(index.versions) + 1
        version = SpecVersion(
            number=number,
            saved_by=saved_by,
            saved_at=at,
            file=f"{number:04d}-{at:%Y%m%dT%H%M%SZ}{self.spec.suffix}",
            sha256=hashlib.sha256(data).hexdigest(),
        )
        write_atomically(self.folder / version.file, data)
        index.versions.append(version)
        write_atomically(
            self.folder / "index.json", index.model_dump_json(indent=1).encode() + b"\n"
        )
        return version

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the spec's history (and so its saves) for this process alone."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _index(self) -> _Index:
        path = self.folder / "index.json"
        if not path.exists():
            return _Index(spec=self.name)
        return _Index.model_validate_json(path.read_bytes())

    def _version(self, number: int) -> SpecVersion:
        versions = self.versions()
        if not 1 <= number <= len(versions):
            raise SpecEditError(
                (),
                f"{self.name} has no version {number}",
                f"its versions are 1 to {len(versions)}" if versions else "it was never saved",
            )
        return versions[number - 1]


def save_spec(editor: SpecEditor, saved_by: str, root: Path | None = None) -> SpecVersion:
    """Save ``editor``'s spec to its file and record the version (module docstring)."""
    if editor.path is None:
        raise SpecEditError((), "this spec has no file to save to", "open it from a file")
    history = SpecHistory(editor.path, root)
    with history.lock():
        found = editor.path.read_bytes() if editor.path.exists() else None
        versions = history.versions()
        if found is not None and (
            not versions or versions[-1].sha256 != hashlib.sha256(found).hexdigest()
        ):
            modified = datetime.datetime.fromtimestamp(editor.path.stat().st_mtime, datetime.UTC)
            history.record(found, ON_DISK, modified)
        editor.save()
        return history.record(editor.encoded(), saved_by)


def _relative(spec: Path) -> str:
    """The spec's path from the current folder (absolute if it is outside)."""
    absolute = spec.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _lines(data: bytes) -> list[str]:
    return decode(Path("<version>"), data).splitlines(keepends=True)
