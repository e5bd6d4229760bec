"""A user project with its own ``workflows`` and ``activities`` packages installs Podium
(the wheel, as pip builds it) and uses both in one environment: Podium's folders are
installed as ``podium.workflows``, ``podium.activities``, …, never as top-level names. The
console's templates, static files and translations are in the wheel, and its pages render
from where pip put them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = """
import workflows, activities                      # the user's own packages
assert workflows.OWNER == activities.OWNER == "user", (workflows.__file__, activities.__file__)
import podium
plan = podium.compile_spec("spec.yaml", offline=True)
from podium.workflows.interpreter import PodiumRun
assert podium.__file__.startswith(SITE) and podium.workflows.__file__.startswith(SITE)
print("ok", plan.name, len(plan.steps), PodiumRun.__name__)
"""

# the console from the installed wheel: a page, a static file, the Indonesian catalog
CONSOLE = """
from pathlib import Path
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web import templating
from podium.starters.web.settings import ConsoleSettings
from starlette.testclient import TestClient
assert str(templating.TEMPLATES).startswith(SITE), templating.TEMPLATES
settings = ConsoleSettings(secret="s" * 64)
app = build_app(None, specs=Path("."), clients=Clients([]), console=settings)
with TestClient(app) as http:
    page = http.get("/console/sign-in")
    assert page.status_code == 200 and "<h1>Sign in</h1>" in page.text, page.text
    assert "htmx" in http.get("/console/static/htmx.min.js").text
    assert http.get("/console/static/podium.css").status_code == 200
assert templating.translations("id").gettext("Sign in") == "Masuk"
print("console ok")
"""
WEB = "podium/starters/web/"


@pytest.mark.slow
def test_a_project_with_its_own_workflows_package_uses_the_installed_wheel(tmp_path: Path):
    source = tmp_path / "source"  # a clean copy: the build writes build/ and *.egg-info
    for name in ("podium", "activities", "compiler", "workflows", "workers", "starters"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheels)],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    [wheel] = wheels.glob("podium-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"podium"}, f"the wheel installs top-level {sorted(tops)}"
    assert "podium/workflows/interpreter.py" in names and "podium/activities/errors.py" in names
    assert "podium/compiler/spec_compiler.py" in names
    console = ROOT / "starters" / "web"
    shipped = [
        *(str(t.relative_to(console)) for t in (console / "templates").rglob("*.html")),
        *(f"static/{f.name}" for f in (console / "static").iterdir()),
        *(str(po.relative_to(console)) for po in (console / "locales").glob("*/LC_MESSAGES/*.po")),
    ]
    assert {"static/htmx.min.js", "locales/id/LC_MESSAGES/messages.po"} <= set(shipped)
    assert not [f for f in shipped if WEB + f not in names], "the console's files not in the wheel"
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
    )  # fmt: skip
    project = tmp_path / "project"
    for package in ("workflows", "activities"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text('OWNER = "user"\n')
    (project / "spec.yaml").write_text(
        textwrap.dedent("""\
            name: mine
            agents: {agents: {w: {model: scripted}}}
            steps: [{id: a, agent: w}]
        """)
    )
    (project / "main.py").write_text(f"SITE = {str(site)!r}\n" + SCRIPT)
    env = {**os.environ, "PYTHONPATH": f"{project}{os.pathsep}{site}"}
    done = subprocess.run(
        [sys.executable, "main.py"], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok mine 1 PodiumRun"
    (project / "console.py").write_text(f"SITE = {str(site)!r}\n" + CONSOLE)
    done = subprocess.run(
        [sys.executable, "console.py"], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "console ok"
