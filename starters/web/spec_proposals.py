"""Describe a change in words, and the planner drafts it (#26.5): the builder's form sends
the words, the catalog's planner revises the person's draft (``plan_changes.revise``, the
``podium plan`` loop), and this page shows the proposal to accept or reject.

    POST /console/specs/{name}/edit/describe   the words → the proposal page
    POST /console/specs/{name}/edit/proposal   accept (it becomes the draft) or reject

The proposal page shows the planner's notes, rounds and cost; the proposal drawn as the
builder draws a spec, read-only, each step marked added, changed or removed (removed ones
as ghosts in their place: ``proposal_marks``); and the text's diff from the draft. What
the planner revises is the person's draft, not the file, and accepting makes the proposal
the draft — never the file: Save stays the person's, with the compiler's verdict.

The page keeps the proposal in the form, not on the server: its text (base64, so a
browser's newline rewriting in form fields cannot change a byte of it) and the sha256 of
the draft text it was made from. Accept is refused if the draft changed since (another
tab, an edit in between) — the proposal would undo that change.

A proposal the compiler still refused after the last round is offered too, with its
problems and a warning: the last problem is often one a person fixes in a moment by
hand, and the builder pins every problem on its step and refuses to save until they are
fixed, so accepting it cannot put a broken spec on disk unseen. Only when there is no
proposal at all (no planner, the planner failed, no answer could be read) is there
nothing to accept: the page says why and keeps the words to try again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import Any

from podium.activities.errors import SetupError
from podium.compiler.spec_editing import SpecEditor
from podium.compiler.textfile import FileReadError
from podium.starters.plan_changes import Revision, revise
from podium.starters.web.builder import back_to, drafts_of, open_draft, page
from podium.starters.web.diffs import diff_rows
from podium.starters.web.drafts import Draft
from podium.starters.web.proposal_marks import mark_proposal
from podium.starters.web.spec_planner import planner_for
from podium.starters.web.templating import render
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

__all__ = ["fingerprint", "routes"]

MAX_ROUNDS = 3
CHANGED_SINCE = (
    "Not accepted: your draft changed after the planner was asked (another tab, or an "
    "edit in between), and the proposal would undo that. Describe the change again."
)
UNREADABLE = "Not accepted: the proposal in the form is not one this page made. Ask again."


def routes() -> list[BaseRoute]:
    """The describe-a-change routes (inside ``/console``)."""
    return [
        Route(
            "/specs/{name}/edit/describe",
            describe,
            methods=["GET", "POST"],
            name="console_spec_describe",
        ),
        Route(
            "/specs/{name}/edit/proposal",
            decide,
            methods=["POST"],
            name="console_spec_proposal",
        ),
    ]


def fingerprint(text: str) -> str:
    """The sha256 of a draft's text: which draft a proposal was made from."""
    return hashlib.sha256(text.encode()).hexdigest()


async def describe(request: Request) -> Response:
    """Ask the planner for the change the form describes; show its proposal."""
    draft = open_draft(request)
    if isinstance(draft, Response):
        return draft
    if request.method == "GET":  # a reload of the proposal page: back to the builder
        return back_to(request, draft.spec, None)
    form = await request.form()
    words = str(form.get("change", "")).replace("\r\n", "\n").strip()
    planner = await planner_for(draft)
    shown: dict[str, Any] = {"draft": draft, "planner_choice": planner, "described": words}
    if planner.agent is None:
        return render(request, "builder_proposal.html", status=422, error=planner.problem, **shown)
    try:
        revision = await revise(
            draft.path,
            draft.text,
            words,
            planner.files,
            planner.agent,
            offline=True,  # compiled to check it, as the builder checks a draft
            max_rounds=MAX_ROUNDS,
        )
    except SetupError as exc:  # an empty change, an unreadable catalog, the planner failed
        return render(request, "builder_proposal.html", status=422, error=str(exc), **shown)
    return render(request, "builder_proposal.html", error="", **shown, **_shown(draft, revision))


async def decide(request: Request) -> Response:
    """Accept the proposal in the form (it becomes the draft) or reject it."""
    draft = open_draft(request)
    if isinstance(draft, Response):
        return draft
    form = await request.form()
    if form.get("action") != "accept":
        return back_to(request, draft.spec, None)
    if form.get("base") != fingerprint(draft.text):
        return await page(request, draft, None, error=CHANGED_SINCE, status=409)
    proposal = _decoded(form.get("proposal"))
    if proposal is None:
        return await page(request, draft, None, error=UNREADABLE, status=422)
    drafts_of(request).put(draft.model_copy(update={"text": proposal}))
    return back_to(request, draft.spec, None, "accepted")


def _shown(draft: Draft, revision: Revision) -> dict[str, Any]:
    """What the page shows of a revision: the proposal drawn and its diff, and the form's
    hidden fields."""
    if revision.text is None:
        return {"revision": revision, "proposal": ""}
    proposed = SpecEditor(revision.text, draft.path, model=None).get(())
    return {
        "revision": revision,
        "proposal": base64.b64encode(revision.text.encode()).decode(),
        "base": fingerprint(draft.text),
        "marked": mark_proposal(draft.editor().get(()), proposed),
        "rows": diff_rows(draft.text, revision.text),
    }


def _decoded(value: Any) -> str | None:
    """The proposal's text from the form, if it is base64 of a spec's YAML."""
    try:
        text = base64.b64decode(str(value or ""), validate=True).decode()
        SpecEditor(text, Path("proposal.yaml"), model=None)
    except (binascii.Error, UnicodeDecodeError, FileReadError):
        return None
    return text
