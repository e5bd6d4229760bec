"""Starting a run of a spec from the console (#26): a form made from the spec's input
schema, and the run started as ``podium serve``'s ``POST /runs`` starts one.

    GET  /console/specs/{name}/run    the form (``input_forms``), or why the spec cannot run
    POST /console/specs/{name}/run    the input checked and the run started → its live page

The posted input goes through ``serve_runs.plan_for`` — the spec compiled as a run compiles
it, the input checked against its schema as ``podium run`` checks it, its size against
the payload limit — so the console refuses exactly what the API refuses. Refusals are
shown on the fields they are about, with everything the person typed kept. Only people the
people file allows (``can: [start-runs]``) may start runs, of any of the server's specs
(the console has no per-person list of specs);
who started a run goes to the server's log, as ``POST /runs`` logs its client.
"""

from __future__ import annotations

import logging
from pathlib import Path

from podium.starters.launch import start_run
from podium.starters.serve_clients import ANY_SPEC, ServeClient
from podium.starters.serve_refusals import Refused
from podium.starters.serve_runs import StartRequest, plan_for
from podium.starters.web import spec_files
from podium.starters.web.auth import allowed
from podium.starters.web.input_forms import InputField, fields_for, pin_problems, read_form
from podium.starters.web.settings import Person
from podium.starters.web.templating import render
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from temporalio.exceptions import TemporalError
from temporalio.service import RPCError

log = logging.getLogger("podium.serve")


def routes() -> list[BaseRoute]:
    """The start-a-run page's route (inside ``/console``)."""
    return [Route("/specs/{name}/run", run_form, methods=["GET", "POST"], name="console_spec_run")]


def starter(person: Person) -> ServeClient:
    """The console person as ``plan_for`` knows who asks: allowed every spec."""
    return ServeClient(f"console:{person.id}", frozenset({ANY_SPEC}))


async def run_form(request: Request) -> Response:
    """The input form of a spec; on POST, the run started and its page opened."""
    person = allowed(request, "start-runs")
    name = request.path_params["name"]
    folder: Path = request.app.state.specs
    path = next((p for p in spec_files.spec_files(folder) if p.stem == name), None)
    if path is None:
        return render(request, "missing.html", status=404, what=name)
    spec = await spec_files.compiled(path)
    if spec.plan is None:
        return _page(request, spec, [], [], status=422)
    fields = fields_for(spec.plan.input_schema)
    if request.method != "POST":
        return _page(request, spec, fields, [])
    run_input = read_form(fields, await request.form())
    try:
        wanted = StartRequest(spec=name, input=run_input)
    except ValidationError:
        named = f"podium serve cannot start a spec named {name!r} (rename its file)"
        return _page(request, spec, fields, [named], status=422)
    client = request.app.state.client
    stored = client.data_converter.external_storage is not None
    try:
        plan = await plan_for(starter(person), folder, wanted, stored=stored)
    except Refused as exc:
        return _page(request, spec, fields, _unpinned(fields, exc, spec.plan.name), exc.status)
    if any(one.problems for one in fields):  # a box it could not read, the field optional
        return _page(request, spec, fields, [], status=422)
    try:
        handle = await start_run(client, plan, run_input, follow=True)
    except (RPCError, TemporalError) as exc:
        log.warning("starting a run of %s for %s failed: %s", plan.name, person.id, exc)
        why = f"the run could not start: {getattr(exc, 'message', '') or exc}"
        return _page(request, spec, fields, [why], status=503)
    log.info("%s started run %s of spec %s from the console", person.id, handle.id, plan.name)
    return RedirectResponse(request.url_for("console_run", run_id=handle.id), status_code=303)


def _unpinned(fields: list[InputField], refused: Refused, spec: str) -> list[str]:
    """The refusal's problems put on the fields they are about; what is left (with the
    refusal's own words when it is not only about fields) goes above the form."""
    said = [problem.message for problem in refused.problems]
    left = pin_problems(fields, said, spec) if refused.status == 422 else said
    if refused.status != 422 or len(left) == len(said):  # the spec, the size, …
        left = [refused.message, *left]
    return left


def _page(
    request: Request,
    spec: spec_files.Compiled,
    fields: list[InputField],
    problems: list[str],
    status: int | None = None,
) -> Response:
    if status is None:
        status = 422 if any(one.problems for one in fields) else 200
    return render(
        request, "spec_run.html", status=status, spec=spec, fields=fields, problems=problems
    )
