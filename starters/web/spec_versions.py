"""A spec's saved versions — who saved each, when — and the changes between any two (#26).

    /console/specs/{name}/history              the versions, newest first; compare any two
    /console/specs/{name}/history/{old}..{new} the changes from version old to version new
    /console/specs/{name}/history/{old}..disk  … to the file as it is now (edited by hand)

Versions are the ones ``save_spec`` keeps (``starters/spec_history.py``), read from the
same place the builder's saves write them (``history_root``).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium.compiler.textfile import FileReadError, decode
from podium.starters.spec_history import ON_DISK, SpecHistory, SpecVersion
from podium.starters.web.auth import signed_in
from podium.starters.web.diffs import diff_rows
from podium.starters.web.settings import ConsoleSettings
from podium.starters.web.spec_files import spec_files
from podium.starters.web.templating import render
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["DISK", "history_root", "routes"]

DISK = "disk"
"""The name of the file as it is now, in a diff's address (``3..disk``)."""


def routes() -> list[BaseRoute]:
    """The version pages' routes (inside ``/console``)."""
    return [
        Route("/specs/{name}/history", history_page, name="console_spec_history"),
        Route("/specs/{name}/history/{old}..{new}", diff_page, name="console_spec_diff"),
    ]


def history_root(request: Request) -> Path:
    """Where the console keeps the specs' versions — the folder the builder's saves write
    to (``ConsoleSettings.spec_history``)."""
    settings: ConsoleSettings = request.app.state.console
    return settings.spec_history


@dataclass
class Versions:
    """A spec file, its saved versions and its bytes on disk now."""

    name: str
    path: Path
    history: SpecHistory
    saved: list[SpecVersion]
    on_disk: bytes

    @property
    def newest(self) -> SpecVersion | None:
        """The last version saved (None before the first save)."""
        return self.saved[-1] if self.saved else None

    @property
    def disk_differs(self) -> bool:
        """Whether the file changed since the newest version (edited by hand)."""
        newest = self.newest
        return newest is not None and hashlib.sha256(self.on_disk).hexdigest() != newest.sha256

    @property
    def disk_at(self) -> datetime.datetime:
        """When the file on disk was last changed."""
        return datetime.datetime.fromtimestamp(self.path.stat().st_mtime, datetime.UTC)


def versions_of(request: Request) -> Versions | None:
    """The spec the address names and its versions (None: no such spec in the folder)."""
    name = request.path_params["name"]
    path = next((p for p in spec_files(request.app.state.specs) if p.stem == name), None)
    if path is None:
        return None
    history = SpecHistory(path, root=history_root(request))
    return Versions(name, path, history, history.versions(), path.read_bytes())


async def history_page(request: Request) -> Response:
    """The spec's versions, newest first, each linked to its changes; or, asked to compare
    two (the page's form), the page of their changes."""
    signed_in(request)
    spec = versions_of(request)
    if spec is None:
        return render(request, "missing.html", status=404, what=request.path_params["name"])
    old, new = request.query_params.get("old", ""), request.query_params.get("new", "")
    if _numeric(old) and (_numeric(new) or new == DISK):  # (else not the page's form)
        to = request.app.url_path_for("console_spec_diff", name=spec.name, old=old, new=new)
        return RedirectResponse(str(to), status_code=303)
    return render(
        request,
        "spec_history.html",
        spec=spec,
        newest_first=list(reversed(spec.saved)),
        picked=_picked(spec),
        on_disk=ON_DISK,
        shown=_shown(request),
    )


async def diff_page(request: Request) -> Response:
    """The changes from one version to another (or to the file on disk now)."""
    signed_in(request)
    spec = versions_of(request)
    if spec is None:
        return render(request, "missing.html", status=404, what=request.path_params["name"])
    old_text, new_text = request.path_params["old"], request.path_params["new"]
    before = _version(spec, old_text)
    after = None if new_text == DISK else _version(spec, new_text)
    if before is None or (after is None and new_text != DISK):
        wrong = old_text if before is None else new_text
        return render(request, "spec_diff.html", status=404, spec=spec, missing=wrong)
    problem = None
    try:
        rows = diff_rows(
            decode(spec.path, spec.history.text(before.number)),
            decode(spec.path, spec.on_disk if after is None else spec.history.text(after.number)),
        )
    except FileReadError as exc:  # a hand edit that is not text the compiler reads
        rows, problem = [], "; ".join(issue.message for issue in exc.issues)
    return render(
        request,
        "spec_diff.html",
        status=200 if problem is None else 422,
        spec=spec,
        missing=None,
        problem=problem,
        before=before,
        after=after,
        rows=rows,
        on_disk=ON_DISK,
        shown=_shown(request),
    )


def _version(spec: Versions, text: str) -> SpecVersion | None:
    """The version ``text`` numbers, if the spec has it."""
    if not _numeric(text) or not 1 <= int(text) <= len(spec.saved):
        return None
    return spec.saved[int(text) - 1]


def _numeric(text: str) -> bool:
    """Whether ``text`` is a version number as an address writes it (digits 0-9 only)."""
    return text.isascii() and text.isdigit()


def _picked(spec: Versions) -> tuple[str, str]:
    """What the compare form offers first: the file's hand edit, else the last save's change."""
    newest = spec.newest.number if spec.newest else 1
    if spec.disk_differs:
        return str(newest), DISK
    return str(max(newest - 1, 1)), str(newest)


def _shown(request: Request) -> Callable[[str], str]:
    """How pages name who saved a version: as the people file names them."""
    settings: ConsoleSettings = request.app.state.console
    return lambda person_id: settings.person(person_id).shown
