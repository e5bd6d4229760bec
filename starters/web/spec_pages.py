"""The specs of the server's folder, each drawn as the plan it compiles to, with the
compiler's problems pinned on the steps they name — the builder's first page (#26).

    /console/specs           every spec of ``--specs``: its name, whether it compiles
    /console/specs/{name}    its diagram (the run page's, without a run), its problems

Specs are compiled as ``podium validate`` compiles them (offline, on a thread: compiling
reads files and may ask MCP servers), so what a page says is what the compiler says.
"""

from __future__ import annotations

from pathlib import Path

from podium.starters.web import builder, run_start, spec_proposals
from podium.starters.web.auth import signed_in
from podium.starters.web.run_diagram import Diagram, diagram
from podium.starters.web.spec_files import compiled, spec_files
from podium.starters.web.templating import render
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route


def routes() -> list[BaseRoute]:
    """The spec pages' routes (inside ``/console``)."""
    return [
        Route("/specs", specs_page, name="console_specs"),
        *builder.routes(),
        *spec_proposals.routes(),
        Route("/specs/{name}", spec_page, name="console_spec"),
        *run_start.routes(),
    ]


async def specs_page(request: Request) -> Response:
    """Every spec of the folder, and whether the compiler accepts it."""
    signed_in(request)
    folder: Path = request.app.state.specs
    specs = [await compiled(path) for path in spec_files(folder)]
    return render(request, "specs.html", specs=specs)


async def spec_page(request: Request) -> Response:
    """One spec: the plan's diagram, or the compiler's problems pinned on their steps."""
    signed_in(request)
    name = request.path_params["name"]
    folder: Path = request.app.state.specs
    path = next((p for p in spec_files(folder) if p.stem == name), None)
    if path is None:
        return render(request, "missing.html", status=404, what=name)
    spec = await compiled(path)
    drawn: Diagram = diagram(spec.plan)
    return render(
        request,
        "spec.html",
        status=200 if spec.plan is not None else 422,
        spec=spec,
        drawn=drawn,
    )
