"""The visual builder: change a spec by clicking, with the compiler watching every edit.

    GET  /console/specs/{name}/edit[?at=steps[1]]   the draft drawn, the step at ``at``'s form
    POST /console/specs/{name}/edit                  one action (below), then back to the page
    POST /console/specs/new                          a new, empty spec (``name``) to build

A person's edits go to their draft (``drafts``), never straight to the file: each action
— ``add`` a step of any kind into any list, case or slot, ``remove``, ``move`` (up and
down), ``relocate`` (into another branch or slot), ``member`` (a supervise team's),
``apply`` (a step's or the spec's form), ``save``, ``discard`` — edits the draft's text
(``builder_actions``, ``SpecEditor``) and the page redraws it with the compiler's verdict
(``builder_check``): each problem pinned on its step, and Save refused while there are any.
Save writes the file through ``spec_history.save_spec`` (who saved what, when) and is
refused if the file changed on disk since the draft was opened.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from podium.compiler.problems import format_loc
from podium.compiler.schema import spec_schema
from podium.compiler.spec_editing import SpecEditError, SpecEditor
from podium.compiler.spec_paths import parse_loc
from podium.compiler.spec_updates import update
from podium.compiler.textfile import FileReadError, Loc
from podium.starters.spec_history import save_spec
from podium.starters.web import builder_actions as actions
from podium.starters.web.auth import allowed
from podium.starters.web.builder_check import check_draft
from podium.starters.web.diffs import diff_rows
from podium.starters.web.drafts import Draft, Drafts
from podium.starters.web.schema_forms import Form, pickers_for, read_form, step_form, top_form
from podium.starters.web.settings import Person
from podium.starters.web.spec_outline import outline
from podium.starters.web.spec_planner import planner_for
from podium.starters.web.templating import render
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["routes"]

EDIT = "edit-specs"
"""What the people file must let a person do to use the builder (``can: [edit-specs]``)."""

SPEC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SAID = {"saved", "discarded", "created", "unchanged", "accepted"}
"""What a redirect may tell the page happened (by word, never free text)."""


def routes() -> list[BaseRoute]:
    """The builder's routes (inside ``/console``)."""
    return [
        Route("/specs/new", new_spec, methods=["GET", "POST"], name="console_spec_new"),
        Route("/specs/{name}/edit", edit_page, methods=["GET", "POST"], name="console_spec_edit"),
    ]


def drafts_of(request: Request) -> Drafts:
    """The console's drafts (beside its other state: ``--state``)."""
    state = request.app.state
    if getattr(state, "drafts", None) is None:
        state.drafts = Drafts(state.console.drafts)
    drafts: Drafts = state.drafts
    return drafts


def spec_path(request: Request, name: str) -> Path | None:
    """The file of the spec called ``name`` in the server's folder (None: not a name)."""
    if not SPEC_NAME.match(name):
        return None
    folder: Path = request.app.state.specs
    for suffix in (".yaml", ".yml"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return folder / f"{name}.yaml"


async def new_spec(request: Request) -> Response:
    """A form for a new spec's name (GET); start its draft, a file not written yet (POST)."""
    person = allowed(request, EDIT)
    if request.method == "GET":
        return render(request, "builder_new.html", name="", error="")
    form = await request.form()
    name = str(form.get("name", "")).strip().removesuffix(".yaml")
    path = spec_path(request, name)
    error = ""
    if path is None:
        error = "A spec's name is letters, digits, '-' and '_' (up to 64), e.g. deal_review."
    elif path.exists():
        error = f"There is already a spec called {name}: open it from the list of specs."
    if path is None or error:
        return render(request, "builder_new.html", status=422, name=name, error=error)
    drafts = drafts_of(request)
    draft = drafts.fresh(person.id, path)
    editor = draft.editor()
    editor.set(("name",), name)
    drafts.put(draft.edited(editor))
    return back_to(request, name, (), "created")


async def edit_page(request: Request) -> Response:
    """The builder for one spec (GET), or one action on its draft (POST)."""
    person = allowed(request, EDIT)
    draft = open_draft(request)
    if isinstance(draft, Response):
        return draft
    if request.method == "POST":
        form = await request.form()
        try:
            return await _act(request, person, draft, form)
        except SpecEditError as exc:
            return await page(request, draft, _at(form.get("at")), error=str(exc), status=422)
    return await page(request, draft, _at(request.query_params.get("at")))


def open_draft(request: Request) -> Draft | Response:
    """The signed-in person's draft of the spec the address names, or the page saying why
    there is none (no such spec: 404; a file that is not YAML: 422)."""
    person = allowed(request, EDIT)
    name = request.path_params["name"]
    path = spec_path(request, name)
    drafts = drafts_of(request)
    if path is None or (not path.exists() and not drafts.has(person.id, path)):
        return render(request, "missing.html", status=404, what=name)
    try:
        return drafts.get(person.id, path)
    except FileReadError as exc:
        return render(request, "builder_unreadable.html", status=422, name=name, error=str(exc))


async def page(
    request: Request,
    draft: Draft,
    at: Loc | None,
    *,
    error: str = "",
    status: int = 200,
    form: Form | None = None,
) -> Response:
    """The builder's page for ``draft``, the step at ``at`` open for editing (in ``form``
    when it is shown again with what was posted)."""
    editor = draft.editor()
    spec = editor.get(()) or {}
    drawn = outline(spec)
    checked = await check_draft(draft)
    pinned, unpinned = checked.pinned(drawn)
    selected = drawn.block_at(at) if at else None
    if form is None:
        form = form_for(request, draft, spec, selected.loc if selected else None)
    said = request.query_params.get("said", "")
    return render(
        request,
        "builder.html",
        status=status,
        draft=draft,
        edit_url=request.app.url_path_for("console_spec_edit", name=draft.spec),
        spec=spec,
        drawn=drawn,
        checked=checked,
        pinned=pinned,
        unpinned=unpinned,
        at=at,
        selected=selected,
        form=form,
        kinds=actions.kinds(),
        error=error,
        said=said if said in SAID else "",
        changed=editor.encoded() != draft.original,  # (draft.changed, without reading it again)
        changes=diff_rows(draft.original.decode("utf-8-sig", "replace"), editor.text),
        stale=draft.stale and not draft.new,
        planner_choice=await planner_for(draft),  # who "Describe a change" asks
    )


async def _act(request: Request, person: Person, draft: Draft, form: FormData) -> Response:
    """Do the action the form asks for, then back to the page (or the spec's page)."""
    action = str(form.get("action", ""))
    drafts = drafts_of(request)
    editor = draft.editor()
    at = _at(form.get("at"))
    if action == "discard":
        drafts.drop(person.id, draft.path)
        if draft.new:
            return RedirectResponse(request.url_for("console_specs"), status_code=303)
        return back_to(request, draft.spec, (), "discarded")
    if action == "save":
        return await _save(request, person, draft)
    if action == "add":
        at = actions.add_step(
            editor,
            _loc(form, "into"),
            str(form.get("kind", "")),
            str(form.get("id", "")),
            name=str(form.get("name", "")),
            agent=str(form.get("agent", "")) or _first_agent(request, draft),
        )
    elif action == "apply":
        spec = editor.get(()) or {}
        place = at if at and _holds_step(spec, at) else None
        form_shown = form_for(request, draft, spec, place)
        reading = read_form(form_shown, form)
        if reading.errors:
            posted = {key: str(value) for key, value in form.items()}
            shown = form_shown.refilled(posted, reading.errors)
            message = "Not applied: some fields need fixing (each says what is wrong)."
            return await page(request, draft, place, error=message, status=422, form=shown)
        update(editor, place or (), reading.value)
        at = place
    elif action == "member":
        agent = str(form.get("agent", "")) or _first_agent(request, draft)
        at = actions.add_member(editor, _loc(form, "into"), str(form.get("name", "")), agent)
    elif action == "remove":
        actions.remove_step(editor, _loc(form, "at"))
        at = None
    elif action in ("up", "down"):
        loc = _loc(form, "at")
        index = _index(form)
        at = actions.move_step(editor, loc, index - 1 if action == "up" else index + 1)
        if isinstance(loc[-1], str):  # a case keeps its name
            at = loc
    elif action == "relocate":
        at = actions.relocate_step(
            editor, _loc(form, "at"), _loc(form, "into"), str(form.get("name", ""))
        )
    else:
        raise SpecEditError((), f"the builder has no action {action!r}", "use the page's buttons")
    drafts.put(draft.edited(editor))
    return back_to(request, draft.spec, at)


async def _save(request: Request, person: Person, draft: Draft) -> Response:
    """Write the draft to the spec's file, if the compiler accepts it."""
    if not draft.changed:
        drafts_of(request).drop(person.id, draft.path)
        return back_to(request, draft.spec, (), "unchanged")
    checked = await check_draft(draft)
    if not checked.accepted:
        message = (
            f"Not saved: the compiler refuses the spec ({len(checked.problems)} problems, "
            "shown on their steps). Fix them, then save."
        )
        return await page(request, draft, None, error=message, status=422)
    editor: SpecEditor = draft.editor()
    save_spec(editor, person.id, root=request.app.state.console.spec_history)
    drafts_of(request).drop(person.id, draft.path)
    return back_to(request, draft.spec, (), "saved")


def back_to(request: Request, name: str, at: Loc | None, said: str = "") -> RedirectResponse:
    """To the builder's page of ``name``, the step at ``at`` open."""
    query: dict[str, Any] = {}
    if at:
        query["at"] = format_loc(at)
    if said:
        query["said"] = said
    url = str(request.url_for("console_spec_edit", name=name))
    return RedirectResponse(url + ("?" + urlencode(query) if query else ""), status_code=303)


def form_for(request: Request, draft: Draft, spec: dict[str, Any], at: Loc | None) -> Form:
    """The form of the step at ``at`` (None: the spec's own settings), its pickers fed by
    the catalogs, the people and the steps before it."""
    people = request.app.state.console.people
    if at is None:
        return top_form(spec, spec_schema(), pickers_for(spec, draft.path, people=people))
    step = _value_at(spec, at)
    pickers = pickers_for(spec, draft.path, at=at, people=people)
    return step_form(step, spec_schema(), pickers)


def _first_agent(request: Request, draft: Draft) -> str:
    """The agent a new step starts with: the first of the spec's catalogs ('' if none)."""
    spec = draft.editor().get(()) or {}
    agents = pickers_for(spec, draft.path, people=()).agents
    return agents[0] if agents else ""


def _value_at(spec: Any, loc: Loc) -> Any:
    value = spec
    for part in loc:
        value = value[part]
    return value


def _holds_step(spec: Any, loc: Loc) -> bool:
    """Whether there is a step (a mapping) at ``loc``."""
    try:
        return isinstance(_value_at(spec, loc), dict)
    except (KeyError, IndexError, TypeError):
        return False


def _at(value: Any) -> Loc | None:
    """The ``at`` of a query or form: a step's place, or None (the spec itself)."""
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_loc(value)
    except SpecEditError:
        return None


def _loc(form: FormData, key: str) -> Loc:
    value = form.get(key)
    if not isinstance(value, str) or not value:
        raise SpecEditError((), f"the form has no {key!r}", "use the page's buttons")
    return parse_loc(value)


def _index(form: FormData) -> int:
    try:
        return int(str(form.get("index", "")))
    except ValueError:
        raise SpecEditError((), "the form has no position", "use the page's buttons") from None
