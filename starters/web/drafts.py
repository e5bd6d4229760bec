"""A person's unsaved changes to a spec in the builder, kept on the server until saved.

Each edit in the builder (a form saved, a step added, moved or removed, a planner's
proposal accepted) changes the person's draft of the spec, not the file: the draft is the
spec's text with the edits made (``compiler.spec_editing.SpecEditor``), plus the file's
bytes as they were when the draft was opened — so Save writes only what this person
changed and is refused if someone else saved the file in between. Drafts are small JSON
files under the console's state folder, one per person and spec, so a reload, a second tab
or a restart of the console loses nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from podium.compiler.file_writing import read_bytes, write_atomically
from podium.compiler.spec_editing import SpecEditor
from pydantic import BaseModel, ConfigDict

__all__ = ["Draft", "Drafts"]


class Draft(BaseModel):
    """One person's unsaved version of one spec file."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    spec: str
    """The spec's name (its file's stem)."""
    path: Path
    text: str
    """The spec as Save would write it."""
    original: bytes
    """The file's bytes when the draft was opened (empty: a new spec, no file yet)."""
    person: str
    new: bool = False
    """Started as a new spec: there was no file."""

    @property
    def base(self) -> str:
        """The sha256 of ``original``."""
        return hashlib.sha256(self.original).hexdigest()

    @property
    def changed(self) -> bool:
        """Whether the draft differs from the file as it was opened."""
        return self.editor().encoded() != self.original

    @property
    def stale(self) -> bool:
        """Whether the file on disk changed since the draft was opened."""
        return (read_bytes(self.path) or b"") != self.original

    def editor(self) -> SpecEditor:
        """The draft's text, to edit and save."""
        return SpecEditor(self.text, self.path, original=self.original)

    def edited(self, editor: SpecEditor) -> Draft:
        """This draft holding ``editor``'s text."""
        return self.model_copy(update={"text": editor.text})


class Drafts:
    """The builder's drafts, under ``folder`` (one JSON file per person and spec)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, person: str, path: Path) -> Draft:
        """``person``'s draft of ``path``, or a fresh one of the file as it is now."""
        stored = self._file(person, path)
        if stored.is_file():
            try:
                return Draft.model_validate_json(stored.read_bytes())
            except ValueError:  # a draft from another version, or cut short: start again
                stored.unlink(missing_ok=True)
        return self.fresh(person, path)

    def has(self, person: str, path: Path) -> bool:
        """Whether ``person`` has a draft of ``path``."""
        return self._file(person, path).is_file()

    def fresh(self, person: str, path: Path) -> Draft:
        """A draft of ``path`` as it is on disk (empty if there is no file yet);
        ``FileReadError`` if the file is not YAML (it must be mended by hand first)."""
        original = read_bytes(path)
        text = SpecEditor.open(path).text if original is not None else ""
        return Draft(
            spec=path.stem,
            path=path,
            text=text,
            original=original or b"",
            person=person,
            new=original is None,
        )

    def put(self, draft: Draft) -> None:
        """Keep ``draft`` (replacing the person's earlier one of the same spec)."""
        stored = self._file(draft.person, draft.path)
        stored.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(stored, draft.model_dump_json().encode())

    def drop(self, person: str, path: Path) -> None:
        """Forget ``person``'s draft of ``path`` (saved, or thrown away)."""
        self._file(person, path).unlink(missing_ok=True)

    def _file(self, person: str, path: Path) -> Path:
        key = hashlib.sha256(f"{person}\0{path.resolve()}".encode()).hexdigest()[:32]
        return self.folder / f"{key}.json"
